import { createHash } from "node:crypto";
import { access, mkdir, readFile, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { GardenError } from "../errors";

/** The C source of the per-process monitor, shipped with this package. */
export const monitorSourcePath = join(
  dirname(fileURLToPath(import.meta.url)),
  "../../monitor/grove-monitor.c",
);

/**
 * Compiles grove-monitor into `cacheDir` unless a binary of the current source is already there,
 * and returns its path. The file name carries a hash of the source, so a changed source always
 * gets a new binary while monitors still running keep theirs. Links statically when the C
 * library allows it (a monitor then survives libc upgrades), dynamically otherwise.
 */
export async function ensureMonitorBinary(
  cacheDir: string,
  compiler = process.env.CC ?? "cc",
): Promise<string> {
  const source = await readFile(monitorSourcePath);
  const digest = createHash("sha256").update(source).digest("hex").slice(0, 12);
  const binary = join(cacheDir, `grove-monitor-${digest}`);
  if (
    await access(binary).then(
      () => true,
      () => false,
    )
  ) {
    return binary;
  }
  await mkdir(cacheDir, { recursive: true });
  // Compile to a private name and rename, so concurrent callers never run a half-written binary.
  const temporary = `${binary}.${process.pid}.${Date.now()}.tmp`;
  const base = ["-O2", "-Wall", "-o", temporary, monitorSourcePath];
  const staticBuild = await execa(compiler, ["-static", ...base], { reject: false });
  if (staticBuild.exitCode !== 0) {
    const dynamicBuild = await execa(compiler, base, { reject: false });
    if (dynamicBuild.exitCode !== 0) {
      throw new GardenError(`cannot compile grove-monitor with ${compiler}: ${dynamicBuild.stderr.trim()}`);
    }
  }
  await rename(temporary, binary);
  return binary;
}
