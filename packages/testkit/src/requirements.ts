import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { postgresBinDir as POSTGRES_BIN } from "@grove/services";

export type Requirement = "root" | "runc" | "postgres" | "nats" | "network" | "registry" | "chromium";

/** Debian's chromium, which browser tests drive with playwright-core (never a downloaded browser). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

function onPath(binary: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => isExecutable(join(dir, binary)));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const checks: Record<Requirement, () => string | undefined> = {
  root: () => (process.getuid?.() === 0 ? undefined : "tests need root (run as root)"),
  runc: () => (onPath("runc") ? undefined : "runc is not installed (run: npm run setup)"),
  postgres: () =>
    isExecutable(join(POSTGRES_BIN, "postgres"))
      ? undefined
      : "PostgreSQL 15 is not installed (run: npm run setup)",
  nats: () => (onPath("nats-server") ? undefined : "nats-server is not installed (run: npm run setup)"),
  // the networker's grove-net is compiled on first use and loads libnftables (nftables' library)
  network: () =>
    onPath("nft") && onPath("cc")
      ? undefined
      : "nftables or a C compiler is not installed (run: npm run setup)",
  registry: () =>
    onPath("docker-registry") ? undefined : "docker-registry is not installed (run: npm run setup)",
  chromium: () =>
    isExecutable(CHROMIUM_PATH) ? undefined : "chromium is not installed (run: npm run setup)",
};

/** What is missing of `needs`, as one line per missing thing. */
export function missingRequirements(needs: Requirement[]): string[] {
  return needs.map((need) => checks[need]()).filter((reason): reason is string => reason !== undefined);
}

/**
 * Whether tests needing `needs` may run here. Outside CI a missing requirement skips them; under
 * CI=true it is a failure, because CI must exercise the real parts.
 */
export function canRun(needs: Requirement[]): boolean {
  const missing = missingRequirements(needs);
  if (missing.length === 0) return true;
  if (process.env.CI === "true") throw new Error(`CI=true and the test cannot run: ${missing.join("; ")}`);
  return false;
}
