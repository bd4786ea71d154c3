import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { type Extract, extract } from "tar-stream";

/** One member of an archive: its header plus a readable body. */
export type TarEntry = Extract extends AsyncIterable<infer E> ? E : never;

/** An archive on disk that can be read more than once (validated first, then extracted). */
export interface SpooledArchive {
  path: string;
  dispose(): Promise<void>;
}

/** Writes a stream to a private temp file; a path is used in place. */
export async function spoolArchive(source: Readable | string, spoolDir = tmpdir()): Promise<SpooledArchive> {
  if (typeof source === "string") return { path: source, dispose: async () => {} };
  const path = join(spoolDir, `grove-tar-${process.pid}-${randomBytes(8).toString("hex")}.tar`);
  try {
    await pipeline(source, createWriteStream(path, { mode: 0o600, flags: "wx" }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, dispose: () => rm(path, { force: true }) };
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Iterates the entries of a tar (or gzipped tar) file. Each entry's body must be consumed (or
 * resumed) before the next is produced, as tar-stream requires.
 */
export async function* tarEntries(path: string): AsyncGenerator<TarEntry> {
  const parser = extract();
  const input: Readable = createReadStream(path);
  const feed = (await isGzip(path)) ? pipeline(input, createGunzip(), parser) : pipeline(input, parser);
  let feedError: unknown;
  const fed = feed.catch((err) => {
    feedError = err;
    parser.destroy(err as Error);
  });
  try {
    for await (const entry of parser) yield entry;
  } finally {
    if (!parser.destroyed) parser.destroy();
    input.destroy();
    await fed;
  }
  if (feedError) throw feedError;
}
