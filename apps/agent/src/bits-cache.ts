import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { extractTar } from "@grove/images";
import type { ObjectStore } from "@nats-io/obj";

/** Where the app's files sit in its container, as in Cloud Foundry. */
export const APP_DIR = "/home/vcap/app";
/** Owner of the extracted app files inside the container (the stack's vcap user). */
const VCAP = 2000;

/**
 * App bits by digest, fetched once from the JetStream object store and kept as a read-only layer
 * directory (`<digest>/home/vcap/app/…`) that garden stacks on the stack's rootfs.
 */
export class BitsCache {
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly dir: string,
    private readonly store: () => Promise<ObjectStore>,
  ) {}

  /** The layer directory for `digest`, downloading and extracting it when not cached. */
  layer(digest: string): Promise<string> {
    let pending = this.#inflight.get(digest);
    if (!pending) {
      pending = this.#fetch(digest).finally(() => this.#inflight.delete(digest));
      this.#inflight.set(digest, pending);
    }
    return pending;
  }

  async #fetch(digest: string): Promise<string> {
    const layer = join(this.dir, digest.replace(":", "-"));
    if (await exists(layer)) return layer;
    const store = await this.store();
    const object = await store.get(digest);
    if (!object) throw new Error(`bits ${digest} are not in the object store`);
    const staging = `${layer}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    const appDir = join(staging, APP_DIR);
    await mkdir(appDir, { recursive: true });
    try {
      await extractTar(Readable.fromWeb(object.data as never), appDir, {
        owner: { uid: VCAP, gid: VCAP },
        spoolDir: this.dir,
      });
      const failed = await object.error;
      if (failed) throw failed;
      await rename(staging, layer);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    return layer;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
