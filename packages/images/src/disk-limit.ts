import { chmod, lchown, lstat, mkdir, open, statfs } from "node:fs/promises";
import { join } from "node:path";
import { tryChild } from "@grove/child";
import { detachLoopDevices, isMountPoint, loopDevicesFor, unmountIfMounted } from "./mounts";
import { run } from "./run";

/** ext4 refuses images much smaller than this; smaller limits are rounded up to it. */
export const MIN_DISK_LIMIT_BYTES = 1024 * 1024;

/**
 * Makes a sparse ext4 image whose free space is `limitBytes` and mounts it at `mountDir` through a
 * loop device that is released when the filesystem is unmounted (util-linux sets autoclear for
 * `-o loop`). ext4's own metadata (journal, inode tables) would take a third of a 4 MiB image and
 * a few percent of a big one, so the image is made larger by what mkfs reports it took: a write
 * gets ENOSPC once `limitBytes` are used, as with a quota, not before.
 */
export async function mountLimitedScratch(
  imageFile: string,
  mountDir: string,
  limitBytes: number,
): Promise<void> {
  const wanted = Math.max(MIN_DISK_LIMIT_BYTES, Math.ceil(limitBytes / 4096) * 4096);
  let size = imageSizes.get(wanted) ?? wanted;
  // a bigger image has a little more metadata: a second round nearly always settles it
  for (let round = 0; round < 4; round++) {
    const free = await makeExt4(imageFile, size);
    if (free >= wanted) break;
    size += Math.ceil((wanted - free) / 4096) * 4096;
  }
  if (imageSizes.size >= 64) imageSizes.clear();
  imageSizes.set(wanted, size);
  await remountLimitedScratch(imageFile, mountDir);
}

/** Image sizes that gave a limit's free space before: the next image of that limit takes one mkfs. */
const imageSizes = new Map<number, number>();

/** Formats a sparse image of `size` bytes; returns the bytes free on the new filesystem. */
async function makeExt4(imageFile: string, size: number): Promise<number> {
  const handle = await open(imageFile, "w", 0o600);
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
  await run(
    "mkfs.ext4",
    "mkfs.ext4",
    // fast commits: an fsync writes its few blocks from the caller's own thread instead of waking
    // jbd2 for a full commit (the volumes bench: fsync p50 about half of without, here)
    ["-q", "-F", "-m", "0", "-O", "fast_commit", "-E", "nodiscard", ...blockSizeFor(size), imageFile],
    "Check the free space where the image store is and that e2fsprogs is installed (npm run setup).",
  );
  const header = await run(
    "dumpe2fs",
    "dumpe2fs",
    ["-h", imageFile],
    "Check that e2fsprogs is installed (npm run setup).",
  );
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(header)?.[1] ?? 0);
  return field("Free blocks") * field("Block size");
}

/** Images from this size up get 4 KiB blocks; smaller ones keep mke2fs's 1 KiB (and their journal). */
const BIG_BLOCKS_FROM_BYTES = 16 * 1024 * 1024;

/**
 * mke2fs gives filesystems under 512 MiB 1 KiB blocks (its "small" type, meant for floppies and
 * /boot): a file's data is then cut by the metadata of 8 MiB block groups, and every block costs
 * four times the bitmap and extent work. 4 KiB blocks, as on the host, made sequential writes on a
 * 320 MiB volume about three times faster (the volumes bench). Under 16 MiB they would cost the
 * journal (mke2fs makes none under 2048 blocks), so tiny images keep 1 KiB.
 */
function blockSizeFor(size: number): string[] {
  return size >= BIG_BLOCKS_FROM_BYTES ? ["-b", "4096"] : [];
}

/**
 * Mounts an existing scratch image again (after a host reboot); a no-op when already mounted.
 * The loop device then reads and writes its image with direct I/O: without it every block would be
 * cached twice, in the filesystem's page cache and in the host's cache of the image file, and
 * each write copied once more (the volumes bench measures the difference).
 */
export async function remountLimitedScratch(imageFile: string, mountDir: string): Promise<void> {
  await mkdir(mountDir, { recursive: true });
  if (await isMountPoint(mountDir)) return;
  await run(
    "mount scratch",
    "mount",
    ["-t", "ext4", "-o", "loop,noatime", imageFile, mountDir],
    "Check that loop devices work here (modprobe loop; ls /dev/loop-control) and that the kernel has ext4.",
  );
  // best effort: an image on a filesystem without direct I/O (tmpfs) still works, cached twice
  for (const device of await loopDevicesFor(imageFile)) await tryChild("losetup", ["--direct-io=on", device]);
}

/** ext4's reserved inodes and lost+found, in use on every fresh filesystem. */
const EXT4_FIRST_FREE_INODE = 11;

/**
 * What a container wrote to its scratch filesystem, from the filesystem's own counters (ext4
 * leaves its metadata out of the block count, so an empty one uses a few KiB).
 */
export async function scratchUsage(mountDir: string): Promise<{ bytesUsed: number; inodesUsed: number }> {
  const fs = await statfs(mountDir);
  return {
    bytesUsed: (fs.blocks - fs.bfree) * fs.bsize,
    inodesUsed: Math.max(0, fs.files - fs.ffree - EXT4_FIRST_FREE_INODE),
  };
}

/** Unmounts the scratch filesystem and makes sure no loop device still holds its image. */
export async function releaseLimitedScratch(imageFile: string, mountDir: string): Promise<void> {
  await unmountIfMounted(mountDir);
  // No image, no loop device: spare the losetup call for containers without a disk limit.
  if (await lstat(imageFile).catch(() => undefined))
    await detachLoopDevices(imageFile).catch(() => undefined);
}

/** Creates upper and work dirs owned by the container's root (host uid `rootId`). */
export async function makeWritableDirs(
  base: string,
  rootId: number,
): Promise<{ upper: string; work: string }> {
  const upper = join(base, "upper");
  const work = join(base, "work");
  for (const dir of [upper, work]) {
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    await lchown(dir, rootId, rootId);
  }
  return { upper, work };
}
