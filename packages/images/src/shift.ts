import { chmod, lchown } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./run";
import { markUsed } from "./store-gc";
import { buildOnce } from "./store-paths";
import { walkTree } from "./tree-walk";
import type { UidMapping } from "./types";

const SPECIAL_BITS = 0o7000;

/**
 * Re-owns every entry under `root` from (uid, gid) to (uid + shift, gid + shift), symlinks
 * included. chown clears setuid/setgid on files, so those modes are put back afterwards.
 */
export async function shiftOwnership(root: string, shift: number): Promise<void> {
  if (shift === 0) return;
  await walkTree(root, async (path, st) => {
    await lchown(path, st.uid + shift, st.gid + shift);
    if (!st.isSymbolicLink() && (st.mode & SPECIAL_BITS) !== 0) await chmod(path, st.mode & 0o7777);
  });
}

/**
 * The lower directory to use for a read-only layer under a uid mapping. Privileged containers
 * (mapping null) use the layer as is; otherwise a copy owned by the mapped range is made once per
 * (layer key, mapping) and reused by every container with that mapping.
 *
 * `layerKey` must change whenever the layer's contents change (a digest or a version).
 */
export async function shiftedLayer(
  storeDir: string,
  layerKey: string,
  layerDir: string,
  mapping: UidMapping,
): Promise<string> {
  if (mapping === null || mapping.hostId === 0) return layerDir;
  const finalDir = join(storeDir, "shifted", `${layerKey}-${mapping.hostId}-${mapping.size}`);
  const copy = join(finalDir, "rootfs");
  await markUsed(finalDir);
  await buildOnce(storeDir, "shift", finalDir, async (scratch) => {
    // cp -a keeps modes, times, hard links and symlinks exactly; only ownership is then changed.
    await run(
      "copy layer",
      "cp",
      ["-a", "--reflink=auto", `${layerDir}/.`, join(scratch, "rootfs")],
      "Check the free space where the image store is.",
    );
    await shiftOwnership(join(scratch, "rootfs"), mapping.hostId);
  });
  return copy;
}
