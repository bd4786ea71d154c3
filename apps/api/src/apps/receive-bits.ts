import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
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

/** Where uploads are received: `grove-bits-*` directories here. */
const UPLOAD_PREFIX = "grove-bits-";

/** An upload's directory untouched this long belongs to an api that is gone (see `removeStaleUploads`). */
export const STALE_UPLOAD_MS = 60 * 60 * 1000;

/**
 * Streams `body` into a temp file, computing its SHA-256 on the way and stopping with
 * `PayloadTooLarge` past `maxBytes`, so an upload is never held in memory.
 */
export async function receiveBits(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<ReceivedBits> {
  const dir = await mkdtemp(join(tmpdir(), UPLOAD_PREFIX));
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

/**
 * Removes the upload directories in `dir` (the temp dir) whose upload has not been written for
 * `olderThanMs`: an api killed while it received one (kill -9, a lost host) never removed it. Replicas
 * on one host share the temp dir, so only stale ones go: an upload being received is written
 * continually, and a received one is removed once stored. Returns how many went.
 */
export async function removeStaleUploads(
  dir = tmpdir(),
  olderThanMs = STALE_UPLOAD_MS,
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir)) {
    if (!name.startsWith(UPLOAD_PREFIX)) continue;
    const path = join(dir, name);
    // the upload's own file moves with every chunk written; an empty dir has only its own time
    const written = await stat(join(path, "bits.tar")).catch(() => stat(path).catch(() => undefined));
    if (!written || now - written.mtimeMs < olderThanMs) continue;
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
