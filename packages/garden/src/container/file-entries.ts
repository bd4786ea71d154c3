import type { Readable } from "node:stream";

/** One entry grove-files streams out (see the header layout in monitor/grove-files.c). */
export interface FileEntry {
  type: "directory" | "file" | "symlink" | "end";
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  name: string;
  linkname: string;
  size: number;
}

const headerSize = 40;
const types: Record<string, FileEntry["type"]> = { D: "directory", F: "file", L: "symlink", E: "end" };

/** Reads exact byte counts out of a stream. */
export class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(source: Readable) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /** `length` bytes, or undefined if the stream ends first. */
  async take(length: number): Promise<Buffer | undefined> {
    while (this.buffered.length < length) {
      const next = await this.chunks.next();
      if (next.done) return undefined;
      this.buffered = this.buffered.length === 0 ? next.value : Buffer.concat([this.buffered, next.value]);
    }
    const taken = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return taken;
  }

  /** The next `length` bytes as they arrive; throws if the stream ends first. */
  async *pieces(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      if (this.buffered.length === 0) {
        const next = await this.chunks.next();
        if (next.done) throw new Error("stream ended inside a file");
        this.buffered = next.value;
      }
      const piece = this.buffered.subarray(0, Math.min(left, this.buffered.length));
      this.buffered = this.buffered.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }
}

/** The next entry's header (a file's content follows in the reader), or undefined at a cut stream. */
export async function readEntry(reader: ByteReader): Promise<FileEntry | undefined> {
  const header = await reader.take(headerSize);
  if (!header) return undefined;
  const type = types[String.fromCharCode(header[0] ?? 0)];
  if (!type) throw new Error(`unknown entry type ${header[0]}`);
  const nameLength = header.readUInt32LE(24);
  const linkLength = header.readUInt32LE(28);
  const names = await reader.take(nameLength + linkLength);
  if (!names) return undefined;
  return {
    type,
    mode: header.readUInt32LE(4),
    uid: header.readUInt32LE(8),
    gid: header.readUInt32LE(12),
    mtime: new Date(Number(header.readBigInt64LE(16)) * 1000),
    name: names.subarray(0, nameLength).toString(),
    linkname: names.subarray(nameLength).toString(),
    size: Number(header.readBigUInt64LE(32)),
  };
}
