import { createHash } from "node:crypto";
import { access, mkdir, readFile, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ChildFailed, tryChild } from "@grove/child";
import { GardenError } from "../errors";

const sourceDir = join(dirname(fileURLToPath(import.meta.url)), "../../monitor");

/**
 * The C helpers shipped with this package: the per-process monitor, every container's pid 1, stream
 * in/out, the networker's netlink and nftables hands. `linking`: "static" always, "dynamic" never
 * (it loads a library at run time), "either" static when it can.
 */
export const helpers = {
  /** holds one process's stdio and exit status across runtime restarts; links statically if it can */
  monitor: { source: "grove-monitor.c", linking: "either", libraries: [] },
  /** runs inside arbitrary root filesystems, so it is always linked statically */
  init: { source: "grove-init.c", linking: "static", libraries: [] },
  /** StreamIn/StreamOut inside a container's namespaces; it runs on the host */
  files: { source: "grove-files.c", linking: "either", libraries: [] },
  /** container veths over rtnetlink and nft scripts through libnftables (dlopen), on the host */
  net: { source: "grove-net.c", linking: "dynamic", libraries: ["-ldl", "-pthread"] },
} as const satisfies Record<
  string,
  { source: string; linking: "static" | "dynamic" | "either"; libraries: readonly string[] }
>;

export type HelperName = keyof typeof helpers;

/**
 * Compiles a helper into `cacheDir` unless a binary of the current sources is already there, and
 * returns its path. The file name carries a hash of the sources (the helper and the shared
 * frames.h), so a changed source always gets a new binary while running monitors and inits keep
 * theirs.
 */
export async function ensureHelperBinary(
  cacheDir: string,
  name: HelperName,
  compiler = process.env.CC ?? "cc",
): Promise<string> {
  const { source, linking, libraries } = helpers[name];
  const sourcePath = join(sourceDir, source);
  const digest = createHash("sha256")
    .update(await readFile(sourcePath))
    .update(await readFile(join(sourceDir, "frames.h")))
    .digest("hex")
    .slice(0, 12);
  const binary = join(cacheDir, `grove-${name}-${digest}`);
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
  const base = ["-O2", "-Wall", "-o", temporary, sourcePath, ...libraries];
  const staticBuild = linking === "dynamic" ? undefined : await tryChild(compiler, ["-static", ...base]);
  if (staticBuild?.exitCode !== 0) {
    const dynamicBuild = staticBuild && linking === "static" ? staticBuild : await tryChild(compiler, base);
    if (dynamicBuild.exitCode !== 0) {
      const hint = `Install gcc and libc6-dev (npm run setup)${linking === "static" ? "; grove-init links statically, which needs libc.a" : ""}, or set CC to a working C compiler.`;
      const failure = new ChildFailed(compiler, dynamicBuild, hint);
      throw new GardenError(`cannot compile grove-${name}: ${failure.message}`);
    }
  }
  await rename(temporary, binary);
  return binary;
}

/** Every helper, compiled when needed. */
export async function ensureHelperBinaries(cacheDir: string): Promise<Record<HelperName, string>> {
  const [monitor, init, files, net] = await Promise.all([
    ensureHelperBinary(cacheDir, "monitor"),
    ensureHelperBinary(cacheDir, "init"),
    ensureHelperBinary(cacheDir, "files"),
    ensureHelperBinary(cacheDir, "net"),
  ]);
  return { monitor, init, files, net };
}
