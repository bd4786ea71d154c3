import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { extract } from "tar-stream";

/** name → type (and link target) of every entry of a tar, from a file path or bytes. */
export async function tarListing(source: string | Uint8Array): Promise<Record<string, string>> {
  const listing: Record<string, string> = {};
  const reader = extract();
  (typeof source === "string" ? createReadStream(source) : Readable.from([Buffer.from(source)])).pipe(reader);
  for await (const entry of reader) {
    const { name, type, linkname } = entry.header;
    listing[name] = type === "symlink" ? `symlink → ${linkname}` : String(type);
    entry.resume();
  }
  return listing;
}
