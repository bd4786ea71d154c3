import { chmod, mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { DigestMismatch, extractTar, treeUsage } from "@grove/images";
import { APP_BITS_RULES, type ArchiveLimits } from "@grove/images/archive";
import type { ObjectStore } from "@nats-io/obj";
import type { Logger } from "pino";

/** Where the app's files sit in its container, as in Cloud Foundry. */
export const APP_DIR = "/home/vcap/app";
/** Owner of the extracted app files inside the container (the stack's vcap user). */
const VCAP = 2000;
const LAYER_PREFIX = "sha256-";

/** Bits fetched from the object store are not the bytes their digest names: refused. */
export class BitsTampered extends Error {
  constructor(
    readonly digest: string,
    readonly actual: string,
  ) {
    super(`bits ${digest} from the object store have digest ${actual}: refused as tampered`);
    this.name = "BitsTampered";
  }
}

export interface BitsCacheOptions {
  /** only root may traverse it (made 0700) */
  dir: string;
  store: () => Promise<ObjectStore>;
  /** the same limits the api plans uploads with */
  limits: ArchiveLimits;
  /** unpacked layers past this many bytes are removed, least recently used first */
  maxBytes: number;
  /** digests that containers use (or are being started with): never removed */
  inUse: () => Iterable<string>;
  log: Logger;
}

interface CachedLayer {
  bytes: number;
  lastUsed: number;
}

/**
 * App bits by digest, fetched once from the JetStream object store, checked against their digest,
 * planned by the same rules as at upload and kept as a read-only layer directory
 * (`<digest>/home/vcap/app/…`, no setuid/setgid or world access) that garden stacks on the stack's
 * rootfs. Past `maxBytes` the least recently used layers no container uses are removed.
 */
export class BitsCache {
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #layers = new Map<string, CachedLayer>();
  #scanned: Promise<void> | undefined;

  constructor(private readonly options: BitsCacheOptions) {}

  /** The layer directory for `digest`, downloading and extracting it when not cached. */
  layer(digest: string): Promise<string> {
    let pending = this.#inflight.get(digest);
    if (!pending) {
      pending = this.#layer(digest).finally(() => this.#inflight.delete(digest));
      this.#inflight.set(digest, pending);
    }
    return pending;
  }

  /** Bytes the cached layers take, as counted when they were unpacked (or found at start). */
  async sizeBytes(): Promise<number> {
    await this.#scan();
    let total = 0;
    for (const layer of this.#layers.values()) total += layer.bytes;
    return total;
  }

  async #layer(digest: string): Promise<string> {
    await this.#scan();
    const path = this.#pathOf(digest);
    const now = new Date();
    const cached = this.#layers.get(digest);
    if (cached) {
      cached.lastUsed = now.getTime();
      await utimes(path, now, now);
      return path;
    }
    const bytes = await this.#fetch(digest, path);
    this.#layers.set(digest, { bytes, lastUsed: now.getTime() });
    await this.#evict();
    return path;
  }

  async #fetch(digest: string, layer: string): Promise<number> {
    const object = await (await this.options.store()).get(digest);
    if (!object) throw new Error(`bits ${digest} are not in the object store`);
    const staging = `${layer}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    const appDir = join(staging, APP_DIR);
    await mkdir(appDir, { recursive: true });
    try {
      const { modeMask, ...rules } = APP_BITS_RULES;
      const result = await extractTar(Readable.fromWeb(object.data as never), appDir, {
        ...rules,
        modeMask,
        owner: { uid: VCAP, gid: VCAP },
        spoolDir: this.options.dir,
        limits: this.options.limits,
        digest,
      });
      const failed = await object.error;
      if (failed) throw failed;
      await rename(staging, layer);
      return result.unpackedBytes;
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      if (error instanceof DigestMismatch) {
        this.options.log.warn({ digest, actual: error.actual }, "fetched bits do not match their digest");
        throw new BitsTampered(digest, error.actual);
      }
      throw error;
    }
  }

  /** Removes least recently used layers no container uses until the cache fits its limit. */
  async #evict(): Promise<void> {
    let total = 0;
    for (const layer of this.#layers.values()) total += layer.bytes;
    if (total <= this.options.maxBytes) return;
    const keep = new Set([...this.options.inUse(), ...this.#inflight.keys()]);
    const candidates = [...this.#layers.entries()]
      .filter(([digest]) => !keep.has(digest))
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [digest, layer] of candidates) {
      if (total <= this.options.maxBytes) break;
      this.#layers.delete(digest);
      await rm(this.#pathOf(digest), { recursive: true, force: true });
      total -= layer.bytes;
      this.options.log.info({ digest, bytes: layer.bytes }, "removed unused bits from the cache");
    }
  }

  /** Once: makes the directory root-only, drops half-written layers, and learns what is cached. */
  #scan(): Promise<void> {
    this.#scanned ??= (async () => {
      const dir = this.options.dir;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      for (const name of await readdir(dir)) {
        const path = join(dir, name);
        if (!name.startsWith(LAYER_PREFIX) || name.endsWith(".tmp") || name.endsWith(".tar")) {
          if (name.startsWith("grove-tar-") || name.endsWith(".tmp"))
            await rm(path, { recursive: true, force: true });
          continue;
        }
        const st = await stat(path);
        const { bytesUsed } = await treeUsage(path);
        this.#layers.set(name.replace(LAYER_PREFIX, "sha256:"), { bytes: bytesUsed, lastUsed: st.mtimeMs });
      }
      await this.#evict();
    })();
    this.#scanned.catch(() => {
      this.#scanned = undefined;
    });
    return this.#scanned;
  }

  #pathOf(digest: string): string {
    return join(this.options.dir, digest.replace(":", "-"));
  }
}
