import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { type Header, pack } from "tar-stream";

export type Member = Partial<Header> & { name: string; body?: string };

/** A tar archive (as bytes) with exactly these members, in order. */
export async function tarOf(members: Member[], options: { gzip?: boolean } = {}): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of packer) chunks.push(Buffer.from(chunk as Uint8Array));
  })();
  for (const { body, ...header } of members) {
    await new Promise<void>((resolve, reject) => {
      const h = { mode: header.type === "directory" ? 0o755 : 0o644, ...header };
      packer.entry(h, body ?? "", (err) => (err ? reject(err) : resolve()));
    });
  }
  packer.finalize();
  await collected;
  const tar = Buffer.concat(chunks);
  return options.gzip ? gzipSync(tar) : tar;
}

export function streamOf(bytes: Buffer): Readable {
  return Readable.from([bytes]);
}
