import { chmod, lchown, lstat, mkdir, open, statfs, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { ChildFailed, tailLines, tryChild } from "@grove/child";
import { MountFailed } from "./errors";
import { detachLoopDevices, isMountPoint, loopDevicesFor, unmountIfMounted } from "./mounts";
import { run } from "./run";

/** ext4 refuses images much smaller than this; smaller limits are rounded up to it. */
export const MIN_DISK_LIMIT_BYTES = 1024 * 1024;

/** How a scratch image's ext4 is made. */
export interface ScratchFormat {
  /**
   * With ext4's journal (the default): a crash needs no check. Without (as the cell's own
   * filesystem): an fsync sends one cache flush down the loop device instead of the journal
   * commit's two (each an fsync of the image on the host); whoever mounts the image again after a
   * crash must `checkScratch` it first.
   */
  journal?: boolean;
}

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
  format: ScratchFormat = {},
): Promise<void> {
  const wanted = Math.max(MIN_DISK_LIMIT_BYTES, Math.ceil(limitBytes / 4096) * 4096);
  const journal = format.journal ?? true;
  const sizes = journal ? imageSizes : imageSizesWithoutJournal;
  let size = sizes.get(wanted) ?? wanted;
  // a bigger image has a little more metadata: a second round nearly always settles it
  for (let round = 0; round < 4; round++) {
    const free = await makeExt4(imageFile, size, journal);
    if (free >= wanted) break;
    size += Math.ceil((wanted - free) / 4096) * 4096;
  }
  if (sizes.size >= 64) sizes.clear();
  sizes.set(wanted, size);
  await remountLimitedScratch(imageFile, mountDir);
}

/** Image sizes that gave a limit's free space before: the next image of that limit takes one mkfs. */
const imageSizes = new Map<number, number>();
const imageSizesWithoutJournal = new Map<number, number>();

/** Formats a sparse image of `size` bytes; returns the bytes free on the new filesystem. */
async function makeExt4(imageFile: string, size: number, journal: boolean): Promise<number> {
  const handle = await open(imageFile, "w", 0o600);
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
  await run(
    "mkfs.ext4",
    "mkfs.ext4",
    // with a journal, fast commits: an fsync writes its few blocks from the caller's own thread
    // instead of waking jbd2 for a full commit (the volumes bench: fsync p50 about half of without)
    [
      "-q",
      "-F",
      "-m",
      "0",
      "-O",
      journal ? "fast_commit" : "^has_journal",
      "-E",
      "nodiscard",
      ...blockSizeFor(size),
      imageFile,
    ],
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
 * each write copied once more (the volumes bench measures the difference). Its writeback
 * throttling is turned off: the kernel gives a loop device a 2 ms latency target, which a loaded
 * cell always misses, so buffered writes crawled (256 MiB at load ~20: ~120 MB/s with it, ~450
 * without); the host disk under the image still throttles with its own.
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
  for (const device of await loopDevicesFor(imageFile)) {
    await tryChild("losetup", ["--direct-io=on", device]);
    await setWritebackThrottling(device, "0");
  }
}

/**
 * Checks the ext4 filesystem of an image that is not mounted, before it is mounted again: after a
 * crash one without a journal is "not clean" and may hold half-made metadata; one with a journal
 * gets its journal replayed. A clean filesystem costs e2fsck a look at its superblock (~10 ms); a
 * full check of a 1 GiB (10 GiB) image holding 2,000 files took 20 (90) ms here. Problems that
 * `e2fsck -p` will not fix alone (blocks claimed twice…) are fixed by `e2fsck -fy`: the volume then
 * mounts with what could be saved (in lost+found) rather than not at all. Returns what e2fsck said
 * when it changed anything, undefined for a clean filesystem.
 */
export async function checkScratch(imageFile: string): Promise<string | undefined> {
  const hint = "Check that e2fsprogs is installed (npm run setup) and the image is not mounted elsewhere.";
  const preen = await tryChild("e2fsck", ["-p", imageFile]);
  // 0 clean, 1 errors fixed, 2 fixed (reboot: only for a mounted root), 4 left unfixed, 8+ failed
  if (preen.exitCode === 0) return undefined;
  if (preen.exitCode !== undefined && preen.exitCode < 4) return tailLines(preen.stdout);
  if (preen.exitCode !== 4) throw new MountFailed("check scratch", new ChildFailed("e2fsck", preen, hint));
  const fix = await tryChild("e2fsck", ["-f", "-y", imageFile]);
  if (fix.exitCode === undefined || fix.exitCode >= 4)
    throw new MountFailed("check scratch", new ChildFailed("e2fsck", fix, hint));
  return `${tailLines(preen.stdout)}\ne2fsck -fy:\n${tailLines(fix.stdout)}`;
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

/**
 * Unmounts the scratch filesystem and makes sure no loop device still holds its image. The loop
 * device's writeback throttling gets its default back first: the device outlives the image, and
 * whoever takes it next should find the kernel's setting, not ours.
 */
export async function releaseLimitedScratch(imageFile: string, mountDir: string): Promise<void> {
  // No image, no loop device: spare the losetup calls for containers without a disk limit.
  if (!(await lstat(imageFile).catch(() => undefined))) {
    await unmountIfMounted(mountDir);
    return;
  }
  for (const device of await loopDevicesFor(imageFile).catch(() => []))
    await setWritebackThrottling(device, "-1");
  await unmountIfMounted(mountDir);
  await detachLoopDevices(imageFile).catch(() => undefined);
}

/** Sets a block device's writeback throttling target: "0" off, "-1" the kernel's default. */
async function setWritebackThrottling(device: string, value: "0" | "-1"): Promise<void> {
  await writeFile(`/sys/block/${basename(device)}/queue/wbt_lat_usec`, value).catch(() => undefined);
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
