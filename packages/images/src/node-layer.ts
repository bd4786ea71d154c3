import { chmod, copyFile, mkdir, realpath, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runChild } from "@grove/child";
import { InvalidImage } from "./errors";
import { buildOnce, shortHash } from "./store-paths";

export interface NodeLayer {
  /** e.g. "node-v20.20.2-1a2b3c…" — changes when the node binary changes */
  version: string;
  /** a layer directory holding /usr/bin/node and the shared libraries it needs, at their host paths */
  dir: string;
}

/**
 * The `node` stack's runtime layer, built from this machine's Node.js installation: the binary plus
 * every shared library `ldd` names (and the dynamic loader), at the same paths as on the host, so it
 * runs on top of the busybox stack, which has no C library of its own. Built once per binary.
 */
export async function ensureNodeLayer(storeDir: string, nodePath = process.execPath): Promise<NodeLayer> {
  const binary = await realpath(nodePath).catch((err: unknown) => {
    throw new InvalidImage("", `${nodePath} not found: the node stack needs Node.js on the cell`, {
      cause: err,
    });
  });
  const info = await stat(binary);
  const nodeVersion = await runChild(binary, ["--version"], {
    hint: "The node stack copies the cell's own Node.js: check that it runs.",
  });
  const version = `node-${nodeVersion.trim()}-${shortHash(`${binary}:${info.size}:${info.mtimeMs}`)}`;
  const dir = join(storeDir, "stacks", version);
  await buildOnce(storeDir, "node", dir, async (scratch) => {
    await chmod(scratch, 0o755);
    await copyInto(scratch, binary, "/usr/bin/node");
    for (const library of await sharedLibraries(binary))
      await copyInto(scratch, await realpath(library), library);
  });
  return { version, dir };
}

/** Absolute paths of the shared objects (and loader) a dynamically linked binary needs. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const stdout = await runChild("ldd", [binary], {
    hint: "The node stack needs ldd (libc-bin) to find Node.js's shared libraries.",
  });
  const paths = new Set<string>();
  for (const line of stdout.split("\n")) {
    const match = line.match(/=>\s+(\/\S+)/) ?? line.match(/^\s*(\/\S+)/);
    if (match?.[1]) paths.add(match[1]);
  }
  return [...paths];
}

async function copyInto(root: string, source: string, target: string): Promise<void> {
  const destination = join(root, target);
  await mkdir(dirname(destination), { recursive: true, mode: 0o755 });
  await copyFile(source, destination);
  await chmod(destination, 0o755);
}
