import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { posix } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract, type Header } from "tar-stream";
import { Invalid } from "../errors";

/** An uploaded archive Grove will not unpack; `entry` names the offending member. */
export class InvalidArchive extends Invalid {
  constructor(
    detail: string,
    readonly entry?: string,
  ) {
    super(detail, [{ field: "(body)", message: detail }]);
  }
}

const allowedTypes = new Set(["file", "contiguous-file", "directory", "symlink", "link"]);

/** True when `path` (relative, POSIX) stays inside the archive root once normalised. */
function staysInside(path: string): boolean {
  const normal = posix.normalize(path);
  return !posix.isAbsolute(normal) && normal !== ".." && !normal.startsWith("../");
}

/** Why an entry is refused, or undefined when it is acceptable. */
export function entryProblem(header: Pick<Header, "name" | "type" | "linkname">): string | undefined {
  const name = header.name;
  if (posix.isAbsolute(name)) return `absolute path ${name}`;
  if (name.split("/").includes("..")) return `path ${name} contains ..`;
  if (!allowedTypes.has(header.type ?? "file"))
    return `${name} is a ${header.type}, not a file, directory or link`;
  if (header.type === "link") {
    const target = header.linkname ?? "";
    if (posix.isAbsolute(target) || target.split("/").includes("..")) {
      return `hard link ${name} points outside the archive (${target})`;
    }
  }
  if (header.type === "symlink") {
    const target = header.linkname ?? "";
    if (posix.isAbsolute(target) || !staysInside(posix.join(posix.dirname(name), target))) {
      return `symlink ${name} points outside the archive (${target})`;
    }
  }
  return undefined;
}

async function isGzip(path: string): Promise<boolean> {
  const file = await open(path, "r");
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await file.close();
  }
}

/**
 * Reads the whole tar (or gzipped tar) at `path` and throws `InvalidArchive` for anything that is
 * not a tar, is empty, or holds an entry that could escape its root when unpacked: absolute paths,
 * `..`, links pointing outside, devices and fifos. Returns the number of entries.
 */
export async function validateArchive(path: string): Promise<number> {
  let source: Readable = createReadStream(path);
  if (await isGzip(path)) source = source.pipe(createGunzip());
  const reader = extract();
  let entries = 0;
  try {
    source.on("error", (error) => reader.destroy(error));
    source.pipe(reader);
    for await (const entry of reader) {
      const problem = entryProblem(entry.header);
      if (problem) throw new InvalidArchive(`unsafe archive: ${problem}`, entry.header.name);
      entries++;
      entry.resume();
    }
  } catch (error) {
    source.destroy();
    if (error instanceof InvalidArchive) throw error;
    throw new InvalidArchive(`not a tar archive: ${(error as Error).message}`);
  }
  if (entries === 0) throw new InvalidArchive("the archive is empty");
  return entries;
}
