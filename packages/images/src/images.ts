import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  makeWritableDirs,
  mountLimitedScratch,
  releaseLimitedScratch,
  remountLimitedScratch,
  scratchUsage,
} from "./disk-limit";
import { DiskLimitTooSmall } from "./errors";
import { layersUsage } from "./image-usage";
import { silentLogger } from "./logger";
import { unmountIfMounted } from "./mounts";
import { mountOverlay } from "./overlay";
import { directoryLayer, type ResolveContext, type ResolvedLayer, resolveImage } from "./resolve-image";
import { ensureSearchableStore } from "./searchable";
import { shiftedLayer } from "./shift";
import { chooseEvictions, entryOfLowerDir, evict, storeEntries } from "./store-gc";
import { handleDirName } from "./store-paths";
import { treeUsage } from "./tree-walk";
import type {
  ImageRef,
  ImagesLogger,
  PullProgress,
  RootfsInfo,
  RootfsRequest,
  RootfsUsage,
  UidMapping,
  Volumizer,
  WritableLayerUsage,
} from "./types";

export interface ImagesOptions {
  /** where stacks, layers, shifted copies and per-container rootfs dirs live; must be a local disk */
  storeDir: string;
  log?: ImagesLogger;
  /** busybox binary for the default stack (default /bin/busybox from busybox-static) */
  busyboxPath?: string;
  /** registries (host:port) spoken to over plain HTTP; loopback hosts always are */
  insecureRegistries?: string[];
  /**
   * unpacked images, shifted copies and blobs past this many bytes are removed, least recently used
   * first, whenever no build is under way; what a container uses stays (default: no limit)
   */
  maxStoreBytes?: number;
  /** layers of one image downloaded at once (default 3) */
  pullConcurrency?: number;
  /**
   * a blob download getting no byte for this long is stopped and continued with a Range request
   * (up to 4 times in one pull; default 60 s)
   */
  blobIdleTimeoutMs?: number;
}

/** What the store keeps about one container's rootfs; the depot entry that survives restarts. */
export interface RootfsRecord {
  handle: string;
  /** mounted rootfs */
  rootfs: string;
  /** lower dirs as mounted, lowest first */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  uidMapping: UidMapping;
  /** sparse ext4 image holding upper and work, when a disk limit is set */
  diskImage?: string;
  /** the limit as asked for, and what it counts ("total": the image too) */
  diskLimitBytes?: number;
  diskLimitScope?: "total" | "exclusive";
  /** the read-only layers' usage when the rootfs was made (Garden's initial total usage) */
  imageUsage?: WritableLayerUsage;
  env?: string[];
  workingDir?: string;
  user?: string;
}

/** The filesystem side of the runtime (structurally the runtime's `Volumizer`), plus inspection. */
export interface Images extends Volumizer {
  /** The record of a container's rootfs, or undefined when the handle has none. */
  inspect(handle: string): Promise<RootfsRecord | undefined>;
  /** Handles that have a rootfs in the store (e.g. to reconcile after a restart). */
  handles(): Promise<string[]>;
  /**
   * Fetches and unpacks an image ahead of `create` (which then finds it cached), telling how far a
   * registry pull is. An interrupted pull leaves its downloaded bytes for the next one to continue.
   */
  pull(image: ImageRef, onProgress?: (progress: PullProgress) => void): Promise<void>;
  /**
   * Removes unused entries (least recently used first) until the store fits `maxStoreBytes`; waits
   * for builds under way to finish first. Answers what was removed.
   */
  collect(): Promise<Collected>;
}

/** What a collection removed: store entries (`images/…`, `shifted/…`, `blobs/…`) and their bytes. */
export interface Collected {
  removed: string[];
  bytes: number;
}

function infoOf(record: RootfsRecord): RootfsInfo {
  const info: RootfsInfo = { path: record.rootfs };
  if (record.env) info.env = record.env;
  if (record.workingDir) info.workingDir = record.workingDir;
  if (record.user) info.user = record.user;
  return info;
}

/**
 * Creates the rootfs provider over `storeDir`. Everything it makes is described on disk, so a new
 * instance after a restart finds, reuses and destroys what an earlier one created.
 *
 * @example
 * const images = createImages({ storeDir: "/var/lib/grove/images" });
 * const { path } = await images.create({ handle: "c1", image: { uri: "" }, uidMapping: null });
 */
export function createImages(options: ImagesOptions): Images {
  const storeDir = resolve(options.storeDir);
  const log = (options.log ?? silentLogger).child({ component: "images" });
  const ctx: ResolveContext = { storeDir, log };
  if (options.busyboxPath) ctx.busyboxPath = options.busyboxPath;
  if (options.insecureRegistries) ctx.insecureRegistries = options.insecureRegistries;
  if (options.pullConcurrency) ctx.pullConcurrency = options.pullConcurrency;
  if (options.blobIdleTimeoutMs) ctx.blobIdleTimeoutMs = options.blobIdleTimeoutMs;
  const containersDir = join(storeDir, "containers");
  const inFlight = new Map<string, Promise<unknown>>();

  // Builds (pulls, unpacks, shifted copies, mounts) run side by side; a collection runs only when
  // none is under way and holds new ones back while it moves its victims out, so it can never
  // remove what a build is about to use.
  let building = 0;
  let collecting: Promise<Collected & { dispose: () => Promise<void> }> | undefined;
  const idle: Array<() => void> = [];

  async function asBuild<T>(op: () => Promise<T>): Promise<T> {
    while (collecting) await collecting.catch(() => undefined);
    building++;
    try {
      return await op();
    } finally {
      building--;
      if (building === 0) {
        for (const wake of idle.splice(0)) wake();
        collectLater();
      }
    }
  }

  function collectLater(): void {
    if (options.maxStoreBytes === undefined) return;
    collect().catch((err: unknown) => log.warn({ err }, "image store collection failed"));
  }

  /** Moves the victims out of the store once no build is under way; deleting them comes after. */
  async function moveOutVictims(): Promise<Collected & { dispose: () => Promise<void> }> {
    while (building > 0) await new Promise<void>((wake) => idle.push(wake));
    const maxBytes = options.maxStoreBytes;
    if (maxBytes === undefined) return { removed: [], bytes: 0, dispose: async () => {} };
    const inUse = new Set<string>();
    for (const handle of await listHandles()) {
      for (const dir of (await readRecord(handle))?.lowerDirs ?? []) {
        const entry = entryOfLowerDir(storeDir, dir);
        if (entry) inUse.add(entry);
      }
    }
    const victims = chooseEvictions(await storeEntries(storeDir), inUse, maxBytes);
    const dispose = await evict(storeDir, victims);
    const bytes = victims.reduce((sum, v) => sum + v.bytes, 0);
    if (victims.length > 0) log.info({ removed: victims.length, bytes }, "image store collected");
    return { removed: victims.map((v) => v.key), bytes, dispose };
  }

  async function collect(): Promise<Collected> {
    collecting ??= moveOutVictims().finally(() => {
      collecting = undefined;
    });
    const { dispose, ...collected } = await collecting;
    await dispose();
    return collected;
  }

  /** Serialises operations on one handle so create and destroy never interleave. */
  function exclusive<T>(handle: string, op: () => Promise<T>): Promise<T> {
    const previous = inFlight.get(handle) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(op);
    inFlight.set(handle, next);
    const clear = () => {
      if (inFlight.get(handle) === next) inFlight.delete(handle);
    };
    next.then(clear, clear);
    return next;
  }

  const dirOf = (handle: string) => join(containersDir, handleDirName(handle));

  /** Handles whose record is in the store. */
  async function listHandles(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(containersDir);
    } catch {
      return [];
    }
    const handles: string[] = [];
    for (const name of names) {
      try {
        const record = JSON.parse(
          await readFile(join(containersDir, name, "record.json"), "utf8"),
        ) as RootfsRecord;
        handles.push(record.handle);
      } catch {}
    }
    return handles;
  }

  async function readRecord(handle: string): Promise<RootfsRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(dirOf(handle), "record.json"), "utf8")) as RootfsRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async function writeRecord(dir: string, record: RootfsRecord): Promise<void> {
    await writeFile(join(dir, "record.json.tmp"), JSON.stringify(record, null, 2));
    await rename(join(dir, "record.json.tmp"), join(dir, "record.json"));
  }

  async function remount(record: RootfsRecord): Promise<void> {
    if (record.diskImage) await remountLimitedScratch(record.diskImage, join(record.upperDir, ".."));
    await mountOverlay({
      lowerDirs: record.lowerDirs,
      upperDir: record.upperDir,
      workDir: record.workDir,
      target: record.rootfs,
    });
  }

  async function teardown(handle: string): Promise<void> {
    const dir = dirOf(handle);
    try {
      await lstat(dir);
    } catch {
      return;
    }
    await unmountIfMounted(join(dir, "rootfs"));
    await releaseLimitedScratch(join(dir, "disk.img"), join(dir, "scratch"));
    await rm(dir, { recursive: true, force: true });
  }

  async function build(req: RootfsRequest): Promise<RootfsRecord> {
    const dir = dirOf(req.handle);
    if (req.uidMapping !== null) await ensureSearchableStore(storeDir);
    const image = await resolveImage(ctx, req.image);
    const extra: ResolvedLayer[] = [];
    for (const layer of req.layers ?? []) extra.push(await directoryLayer(layer));
    const layers = [...image.layers, ...extra];
    const imageUsage = await layersUsage(storeDir, layers);
    const scope = req.diskLimitScope ?? "exclusive";
    const limit = req.diskLimitBytes ?? 0;
    // Guardian (grootfs) gives the writable layer the limit less the image under scope total
    const writableLimit = limit > 0 && scope === "total" ? limit - imageUsage.bytesUsed : limit;
    if (limit > 0 && writableLimit <= 0) throw new DiskLimitTooSmall(limit, imageUsage.bytesUsed);
    const lowerDirs: string[] = [];
    for (const layer of layers) {
      lowerDirs.push(await shiftedLayer(storeDir, layer.key, layer.dir, req.uidMapping));
    }
    await mkdir(dir, { recursive: true });
    const scratch = join(dir, "scratch");
    await mkdir(scratch, { recursive: true });
    const record: RootfsRecord = {
      handle: req.handle,
      rootfs: join(dir, "rootfs"),
      lowerDirs,
      upperDir: join(scratch, "upper"),
      workDir: join(scratch, "work"),
      uidMapping: req.uidMapping,
      imageUsage,
    };
    if (limit > 0) {
      record.diskImage = join(dir, "disk.img");
      record.diskLimitBytes = limit;
      record.diskLimitScope = scope;
      await mountLimitedScratch(record.diskImage, scratch, writableLimit);
    }
    await makeWritableDirs(scratch, req.uidMapping?.hostId ?? 0);
    if (image.env) record.env = image.env;
    if (image.workingDir) record.workingDir = image.workingDir;
    if (image.user) record.user = image.user;
    await mountOverlay({
      lowerDirs,
      upperDir: record.upperDir,
      workDir: record.workDir,
      target: record.rootfs,
    });
    await writeRecord(dir, record);
    return record;
  }

  return {
    create(req) {
      return exclusive(req.handle, async () => {
        const existing = await readRecord(req.handle);
        if (existing) {
          await remount(existing);
          return infoOf(existing);
        }
        // A directory without a record is what a crash during create leaves: start over.
        await teardown(req.handle);
        const started = Date.now();
        try {
          const record = await asBuild(() => build(req));
          log.info(
            {
              handle: req.handle,
              image: req.image.uri,
              lowerDirs: record.lowerDirs.length,
              ms: Date.now() - started,
            },
            "rootfs created",
          );
          return infoOf(record);
        } catch (err) {
          log.warn({ handle: req.handle, image: req.image.uri, err }, "rootfs create failed");
          await teardown(req.handle).catch((cleanupErr) =>
            log.error({ handle: req.handle, err: cleanupErr }, "cleanup after failed create failed"),
          );
          throw err;
        }
      });
    },

    destroy(handle) {
      return exclusive(handle, async () => {
        await teardown(handle);
        log.info({ handle }, "rootfs destroyed");
      });
    },

    async metrics(handle): Promise<RootfsUsage> {
      const record = await readRecord(handle);
      const image = record?.imageUsage ?? { bytesUsed: 0, inodesUsed: 0 };
      if (!record) return { bytesUsed: 0, inodesUsed: 0, image };
      try {
        await stat(record.upperDir);
      } catch {
        return { bytesUsed: 0, inodesUsed: 0, image };
      }
      // A disk-limited layer has a filesystem of its own: its counters answer at once, where a
      // walk costs a stat per file (agents sample every container every few seconds).
      const written = record.diskImage
        ? await scratchUsage(join(record.upperDir, ".."))
        : await treeUsage(record.upperDir);
      return { ...written, image };
    },

    inspect: readRecord,

    handles: listHandles,

    pull: (image, onProgress) =>
      asBuild(async () => {
        await resolveImage(ctx, image, onProgress);
      }),

    collect,
  };
}
