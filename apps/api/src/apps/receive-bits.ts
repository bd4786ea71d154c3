import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { PayloadTooLarge } from "../errors";

/** A received upload in a temp file, with its digest and size. */
export interface ReceivedBits {
  digest: string;
  sizeBytes: number;
  path: string;
  remove(): Promise<void>;
}

/**
 * Streams `body` into a temp file, computing its SHA-256 on the way and stopping with
 * `PayloadTooLarge` past `maxBytes`, so an upload is never held in memory.
 */
export async function receiveBits(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<ReceivedBits> {
  const dir = await mkdtemp(join(tmpdir(), "grove-bits-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, "bits.tar");
  const hash = createHash("sha256");
  let sizeBytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      sizeBytes += chunk.byteLength;
      if (sizeBytes > maxBytes) throw new PayloadTooLarge(`bits are larger than ${maxBytes} bytes`);
      hash.update(chunk);
      controller.enqueue(chunk);
    },
  });
  try {
    await body.pipeThrough(counter).pipeTo(Writable.toWeb(createWriteStream(path)));
  } catch (error) {
    await remove();
    throw error;
  }
  return { digest: `sha256:${hash.digest("hex")}`, sizeBytes, path, remove };
}
