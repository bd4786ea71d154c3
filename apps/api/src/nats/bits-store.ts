import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * The JetStream object store bucket holding app bits, one object per digest named
 * `sha256:<hex>`. Agents read it by the `bitsDigest` of a start command.
 */
export const BITS_BUCKET = "grove-bits";

/** App bits in the JetStream object store, content-addressed. */
export class BitsStore {
  private store: Promise<ObjectStore> | undefined;

  constructor(private readonly nc: NatsConnection) {}

  /** True when an object with this digest is stored completely. */
  async has(digest: string): Promise<boolean> {
    const info = await (await this.open()).info(digest);
    return info !== null && !info.deleted;
  }

  /** Stores the file at `path` as `digest`. */
  async putFile(digest: string, path: string): Promise<void> {
    const stream = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
    await (await this.open()).put({ name: digest }, stream);
  }

  private open(): Promise<ObjectStore> {
    if (!this.store) {
      this.store = new Objm(this.nc).create(BITS_BUCKET);
      this.store.catch(() => {
        this.store = undefined;
      });
    }
    return this.store;
  }
}
