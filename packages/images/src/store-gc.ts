import { lstat, readdir, readFile, rename, rm, utimes, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { scratchDir } from "./store-paths";
import { treeUsage } from "./tree-walk";

/** One thing the store can remove and fetch or build again: an unpacked image, a shifted copy, a blob. */
export interface StoreEntry {
  /** path relative to the store, e.g. `images/img-…`, `shifted/…`, `blobs/sha256/…` */
  key: string;
  bytes: number;
  /** when it was last used (ms), from its mtime, which every use sets */
  lastUsed: number;
}

/**
 * What to remove so the entries fit in `maxBytes`: least recently used first, never one in `inUse`.
 * When what is in use alone is larger than the limit, everything else goes and that is all.
 */
export function chooseEvictions(
  entries: StoreEntry[],
  inUse: ReadonlySet<string>,
  maxBytes: number,
): StoreEntry[] {
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const victims: StoreEntry[] = [];
  const oldestFirst = entries.filter((e) => !inUse.has(e.key)).sort((a, b) => a.lastUsed - b.lastUsed);
  for (const entry of oldestFirst) {
    if (total <= maxBytes) break;
    victims.push(entry);
    total -= entry.bytes;
  }
  return victims;
}

/** Where a directory entry keeps its size, so the store is not walked at every collection. */
const SIZE_FILE = "bytes";

/** Marks a store entry as just used (its place in the LRU order); false when it is not there. */
export async function markUsed(path: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(path, now, now);
    return true;
  } catch {
    return false;
  }
}

async function dirEntry(storeDir: string, key: string): Promise<StoreEntry | undefined> {
  const path = join(storeDir, key);
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isDirectory()) return undefined;
  let bytes = Number.NaN;
  try {
    bytes = Number(await readFile(join(path, SIZE_FILE), "utf8"));
  } catch {}
  if (!Number.isFinite(bytes)) {
    bytes = (await treeUsage(path)).bytesUsed;
    await writeFile(join(path, SIZE_FILE), String(bytes));
    // counting is no use: its times go back as they were, to the microsecond (a Date keeps only
    // milliseconds, which could move it before an entry used within the same millisecond)
    await utimes(path, st.atimeMs / 1000, st.mtimeMs / 1000);
  }
  return { key, bytes, lastUsed: st.mtimeMs };
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Every removable entry of the store with its size and last use. */
export async function storeEntries(storeDir: string): Promise<StoreEntry[]> {
  const entries: StoreEntry[] = [];
  for (const top of ["images", "shifted"]) {
    for (const name of await names(join(storeDir, top))) {
      const entry = await dirEntry(storeDir, `${top}/${name}`);
      if (entry) entries.push(entry);
    }
  }
  for (const kind of ["sha256", "partial"]) {
    for (const name of await names(join(storeDir, "blobs", kind))) {
      const key = `blobs/${kind}/${name}`;
      const st = await lstat(join(storeDir, key)).catch(() => undefined);
      if (st?.isFile()) entries.push({ key, bytes: st.blocks * 512, lastUsed: st.mtimeMs });
    }
  }
  return entries;
}

/** The store entry a container's lower dir lies in (`images/x` for `<store>/images/x/rootfs`), if any. */
export function entryOfLowerDir(storeDir: string, lowerDir: string): string | undefined {
  const rel = relative(storeDir, lowerDir);
  const parts = rel.split(sep);
  if (parts.length < 2 || (parts[0] !== "images" && parts[0] !== "shifted")) return undefined;
  return `${parts[0]}/${parts[1]}`;
}

/**
 * Moves the victims out of the store (a rename each, so nothing can find half of one) and answers
 * a function that deletes them, which may run after the store is open to builds again.
 */
export async function evict(storeDir: string, victims: StoreEntry[]): Promise<() => Promise<void>> {
  if (victims.length === 0) return async () => {};
  const trash = await scratchDir(storeDir, "evicted");
  for (const [i, victim] of victims.entries()) {
    await rename(join(storeDir, victim.key), join(trash, String(i))).catch(() => undefined);
  }
  return () => rm(trash, { recursive: true, force: true });
}
