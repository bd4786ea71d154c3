import { createHash, randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { InvalidHandle } from "./errors";

/** Short stable hex digest of a string, for cache keys built from several parts. */
export function shortHash(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 24);
}

/**
 * Directory name for a handle. Safe handles are used as they are (readable depot); anything else is
 * hashed so no handle can name a path outside the store.
 */
export function handleDirName(handle: string): string {
  if (handle.length === 0 || handle.length > 512)
    throw new InvalidHandle(`bad handle length: ${handle.length}`);
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(handle)) return handle;
  return `h-${shortHash(handle)}`;
}

/** A fresh scratch directory under the store's tmp dir (same filesystem, so rename works). */
export async function scratchDir(storeDir: string, label: string): Promise<string> {
  const dir = join(storeDir, "tmp", `${label}-${process.pid}-${randomBytes(6).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Moves a fully built directory into place. When another builder got there first the finished copy
 * wins and ours is thrown away, so concurrent builders never see a half-built result.
 */
export async function publishDir(builtDir: string, finalDir: string): Promise<void> {
  try {
    await rename(builtDir, finalDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
    await rm(builtDir, { recursive: true, force: true });
  }
}

const building = new Map<string, Promise<void>>();

/**
 * Builds `finalDir` once: `build` fills a scratch dir that is then published; a failed build leaves
 * nothing behind. Returns without building when `finalDir` already exists, and joins a build of
 * the same dir already under way in this process instead of doing the work twice.
 */
export async function buildOnce(
  storeDir: string,
  label: string,
  finalDir: string,
  build: (scratch: string) => Promise<void>,
): Promise<void> {
  try {
    await stat(finalDir);
    return;
  } catch {}
  const running = building.get(finalDir);
  if (running) return running;
  const job = (async () => {
    await mkdir(dirname(finalDir), { recursive: true });
    const scratch = await scratchDir(storeDir, label);
    try {
      await build(scratch);
      await publishDir(scratch, finalDir);
    } catch (err) {
      await rm(scratch, { recursive: true, force: true });
      throw err;
    }
  })();
  building.set(finalDir, job);
  try {
    await job;
  } finally {
    building.delete(finalDir);
  }
}
