import type { Stats } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * Visits every entry under `root` (root included) without following symlinks or crossing into
 * other mounts' contents by accident: only directories are descended, via lstat.
 */
export async function walkTree(
  root: string,
  visit: (path: string, st: Stats) => Promise<void>,
): Promise<void> {
  const st = await lstat(root);
  await visit(root, st);
  if (!st.isDirectory()) return;
  const names = await readdir(root);
  for (const name of names) await walkTree(join(root, name), visit);
}

/** Bytes (allocated blocks) and inodes used under `root`; a hard-linked file counts once. */
export async function treeUsage(root: string): Promise<{ bytesUsed: number; inodesUsed: number }> {
  const seen = new Set<string>();
  let bytesUsed = 0;
  let inodesUsed = 0;
  await walkTree(root, async (path, st) => {
    if (path === root) return;
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    inodesUsed++;
    bytesUsed += st.blocks * 512;
  });
  return { bytesUsed, inodesUsed };
}
