import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setImmediate as turn } from "node:timers/promises";
import { type Extract, extract } from "tar-stream";
import { compressionOf, decoderFor } from "./decompress";
import { ArchiveLimitExceeded } from "./errors";

/** One member of an archive: its header plus a readable body. */
export type TarEntry = Extract extends AsyncIterable<infer E> ? E : never;

/** An archive on disk that can be read more than once (planned first, then extracted). */
export interface SpooledArchive {
  path: string;
  /** `sha256:<hex>` of the bytes spooled (a path used in place is not hashed) */
  digest?: string;
  dispose(): Promise<void>;
}

/** Writes a stream to a private temp file, hashing it on the way; a path is used in place. */
export async function spoolArchive(source: Readable | string, spoolDir = tmpdir()): Promise<SpooledArchive> {
  if (typeof source === "string") return { path: source, dispose: async () => {} };
  const path = join(spoolDir, `grove-tar-${process.pid}-${randomBytes(8).toString("hex")}.tar`);
  const hash = createHash("sha256");
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, hashing, createWriteStream(path, { mode: 0o600, flags: "wx" }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, digest: `sha256:${hash.digest("hex")}`, dispose: () => rm(path, { force: true }) };
}

/** Counts the uncompressed tar stream and stops it (and so the decompressor) past `max` bytes. */
function byteCap(max: number, counted: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counted.bytes += chunk.length;
      if (counted.bytes > max) {
        done(new ArchiveLimitExceeded(undefined, "unpackedBytes", max, `more than ${max} bytes unpacked`));
      } else done(null, chunk);
    },
  });
}

/** How long the member loop may run before it lets timers and I/O (heartbeats, /livez) have a turn. */
const SLICE_MS = 10;

export interface TarReadOptions {
  /** the uncompressed stream is cut off past this many bytes */
  maxUnpackedBytes: number;
  /** filled in while reading */
  counted?: { bytes: number };
}

/**
 * Iterates the entries of a tar file (plain, gzip or zstd, told by its first bytes), decompressing no more than
 * `maxUnpackedBytes` and yielding to the event loop every few milliseconds. Each entry's body must
 * be consumed (or resumed) before the next is produced, as tar-stream requires.
 */
export async function* tarEntries(path: string, options: TarReadOptions): AsyncGenerator<TarEntry> {
  const counted = options.counted ?? { bytes: 0 };
  const parser = extract();
  const input: Readable = createReadStream(path);
  const cap = byteCap(options.maxUnpackedBytes, counted);
  const decoder = decoderFor(await compressionOf(path));
  const feed = decoder ? pipeline(input, decoder, cap, parser) : pipeline(input, cap, parser);
  let feedError: unknown;
  const fed = feed.catch((err) => {
    feedError = err;
    parser.destroy(err as Error);
  });
  let sliceStart = performance.now();
  try {
    for await (const entry of parser) {
      yield entry;
      if (performance.now() - sliceStart > SLICE_MS) {
        await turn();
        sliceStart = performance.now();
      }
    }
  } finally {
    if (!parser.destroyed) parser.destroy();
    input.destroy();
    await fed;
  }
  if (feedError) throw feedError;
}
