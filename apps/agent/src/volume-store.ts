import { chmod, chown, mkdir, readdir, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { mountLimitedScratch, releaseLimitedScratch, remountLimitedScratch } from "@grove/images";
import type { Logger } from "pino";

/** What `<id>` of a volume may look like on disk: a uuid or a DNS label. */
const idPattern = /^[a-z0-9][a-z0-9-]{0,63}$/;

export interface VolumeStoreOptions {
  /** root-only directory holding `images/<id>.ext4` and `mounts/<id>` */
  dir: string;
  /** host uid/gid that owns a new volume's root: the container's mapped user (e.g. 100000 + vcap) */
  ownerId: number;
  log: Logger;
}

/**
 * The volumes of one cell: each an ext4 image of its size on a loop device, so the kernel enforces
 * the size (a write past it gets ENOSPC inside the container, nothing else fills). Mounted under
 * `mounts/<id>`, the directory the agent bind-mounts into containers (garden's allowed root).
 */
export class VolumeStore {
  readonly mountsDir: string;
  private readonly imagesDir: string;

  constructor(private readonly options: VolumeStoreOptions) {
    this.mountsDir = join(options.dir, "mounts");
    this.imagesDir = join(options.dir, "images");
  }

  /** Makes the store's directories: the top one root-only (traversable, so runc reaches mounts). */
  async open(): Promise<void> {
    await mkdir(this.imagesDir, { recursive: true, mode: 0o700 });
    await mkdir(this.mountsDir, { recursive: true, mode: 0o711 });
    await chmod(this.options.dir, 0o711);
    await chmod(this.imagesDir, 0o700);
  }

  /**
   * The mounted directory of volume `id`, making its image (of `sizeMb`) the first time and
   * mounting it again when it is not mounted (after an agent restart or a reboot).
   */
  async ensure(id: string, sizeMb: number): Promise<string> {
    checkId(id);
    const image = this.imagePath(id);
    const mountDir = join(this.mountsDir, id);
    const made = await readdir(this.imagesDir).then((names) => names.includes(`${id}.ext4`));
    if (made) {
      await remountLimitedScratch(image, mountDir);
      return mountDir;
    }
    await mountLimitedScratch(image, mountDir, sizeMb * 1024 * 1024);
    // ext4's root and lost+found belong to host root; the container's user gets the root
    await chown(mountDir, this.options.ownerId, this.options.ownerId);
    await chmod(mountDir, 0o755);
    this.options.log.info({ volumeId: id, sizeMb }, "volume made");
    return mountDir;
  }

  /** Mounts every volume this cell has again (on agent start); returns their ids. */
  async reattach(): Promise<string[]> {
    const ids = await this.ids();
    for (const id of ids) await remountLimitedScratch(this.imagePath(id), join(this.mountsDir, id));
    if (ids.length > 0) this.options.log.info({ volumes: ids.length }, "volumes reattached");
    return ids;
  }

  /** The ids of the volumes on this cell. */
  async ids(): Promise<string[]> {
    const names = await readdir(this.imagesDir).catch(() => [] as string[]);
    return names.filter((name) => name.endsWith(".ext4")).map((name) => name.slice(0, -".ext4".length));
  }

  /** Unmounts a volume, detaches its loop device and removes its image: its space is free. */
  async remove(id: string): Promise<void> {
    checkId(id);
    const mountDir = join(this.mountsDir, id);
    await releaseLimitedScratch(this.imagePath(id), mountDir);
    await rm(this.imagePath(id), { force: true });
    // not recursive: should the unmount not have happened, the data stays
    await rmdir(mountDir).catch(() => undefined);
    this.options.log.info({ volumeId: id }, "volume removed");
  }

  /** Unmounts every volume and detaches its loop device, keeping the images (a cell's shutdown). */
  async detachAll(): Promise<void> {
    for (const id of await this.ids()) {
      await releaseLimitedScratch(this.imagePath(id), join(this.mountsDir, id));
    }
  }

  private imagePath(id: string): string {
    return join(this.imagesDir, `${id}.ext4`);
  }
}

function checkId(id: string): void {
  if (!idPattern.test(id)) throw new Error(`invalid volume id ${JSON.stringify(id)}`);
}
