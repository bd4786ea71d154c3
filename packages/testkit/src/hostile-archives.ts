import { gzipSync } from "node:zlib";
import { type Header, pack } from "tar-stream";

/** One member of a test archive: header fields plus an optional body. */
export type Member = Partial<Header> & { name: string; body?: string };

/** A tar archive (as bytes) with exactly these members, in order. */
export async function tarOf(members: Iterable<Member>, options: { gzip?: boolean } = {}): Promise<Buffer> {
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

const ok: Member = { name: "index.html", body: "<h1>hello</h1>" };

/**
 * The hostile app archives of issue 11, each small enough to build in a test (none is committed).
 * Each is a list of members except the two whose size is the point (`manySymlinks`, `gzipBomb`).
 */
export const hostileMembers = {
  traversal: (): Member[] => [ok, { name: "app/../../../../tmp/grove-traversal", body: "pwned" }],
  absolutePath: (): Member[] => [ok, { name: "/tmp/grove-absolute", body: "pwned" }],
  /** a link inside the archive, then a member written through it */
  symlinkWriteThrough: (): Member[] => [
    ok,
    { name: "sub/", type: "directory" },
    { name: "through", type: "symlink", linkname: "sub" },
    { name: "through/pwned", body: "pwned" },
  ],
  /** a link out of the archive, then a member written through it */
  escapingSymlinkWriteThrough: (): Member[] => [
    ok,
    { name: "out", type: "symlink", linkname: "../../../../../../tmp" },
    { name: "out/grove-pwned", body: "pwned" },
  ],
  hardlinkToHostFile: (hostFile = "/etc/passwd"): Member[] => [
    ok,
    { name: "passwd", type: "link", linkname: hostFile },
  ],
  hardlinkOutside: (): Member[] => [
    ok,
    { name: "passwd", type: "link", linkname: "../../../../../../etc/passwd" },
  ],
  device: (): Member[] => [
    ok,
    { name: "null", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666 },
  ],
  fifo: (): Member[] => [ok, { name: "pipe", type: "fifo", mode: 0o666 }],
  setuid: (): Member[] => [ok, { name: "suid", mode: 0o6777, body: "#!/bin/sh\nid\n" }],
  /** `s0 -> .`, `s{i} -> s{i-1}/s{i-1}/s{i-1}/s{i-1}`: resolving the last one naively takes 4^n steps */
  chainedSymlinks: (n = 14): Member[] => {
    const members: Member[] = [ok, { name: "s0", type: "symlink", linkname: "." }];
    for (let i = 1; i < n; i++) {
      const prev = `s${i - 1}`;
      members.push({ name: `s${i}`, type: "symlink", linkname: [prev, prev, prev, prev].join("/") });
    }
    return members;
  },
};

/** `count` plain symlinks to one file (200,000 took a naive checker minutes), gzipped. */
export async function manySymlinks(count = 200_000): Promise<Buffer> {
  const head = (await tarOf([ok])).subarray(0, -1024);
  const blocks = Buffer.alloc(head.length + count * 512 + 1024);
  head.copy(blocks);
  // ustar headers written by hand from one template: tar-stream takes seconds for 200,000
  const template = ustarSymlinkTemplate("index.html");
  let templateSum = 0;
  for (const byte of template) templateSum += byte;
  for (let i = 0; i < count; i++) {
    const at = head.length + i * 512;
    template.copy(blocks, at);
    const name = `l${i}`;
    blocks.write(name, at, "latin1");
    let sum = templateSum;
    for (let j = 0; j < name.length; j++) sum += name.charCodeAt(j);
    blocks.write(`${sum.toString(8).padStart(6, "0")}\0 `, at + 148, "latin1");
  }
  return gzipSync(blocks, { level: 1 });
}

/** A ustar symlink header without a name, its checksum field blank. */
function ustarSymlinkTemplate(target: string): Buffer {
  const block = Buffer.alloc(512);
  block.write("0000777\0", 100);
  block.write("0000000\0", 108);
  block.write("0000000\0", 116);
  block.write("00000000000\0", 124);
  block.write("00000000000\0", 136);
  block.write("        ", 148);
  block.write("2", 156);
  block.write(target, 157, 100);
  block.write("ustar\u000000", 257);
  return block;
}

/**
 * A gzipped tar of one member holding `size` bytes of zeros, made of repeated gzip members (gunzip
 * reads them as one stream), so 10 GiB of zeros costs about 10 MB and no time to build. With
 * `header: false` the stream is zeros only, so nothing but counting the bytes can stop it.
 */
export async function gzipBomb(size = 10 * 1024 ** 3, options: { header?: boolean } = {}): Promise<Buffer> {
  const chunk = 64 * 1024 ** 2;
  const zeros = gzipSync(Buffer.alloc(chunk), { level: 9 });
  const parts: Buffer[] = [];
  if (options.header ?? true) parts.push(gzipSync(await tarHeader({ name: "zeros", size, mode: 0o644 })));
  for (let left = size + 1024; left > 0; left -= chunk) parts.push(zeros);
  return Buffer.concat(parts);
}

/** The 512-byte (or longer, with pax records) header tar-stream writes for `header`. */
async function tarHeader(header: Partial<Header> & { name: string }): Promise<Buffer> {
  const packer = pack();
  const body = packer.entry(header);
  const chunks: Buffer[] = [];
  for await (const chunk of packer) {
    chunks.push(Buffer.from(chunk as Uint8Array));
    break;
  }
  body.destroy();
  packer.destroy();
  return Buffer.concat(chunks);
}

/**
 * A gzipped tar of `count` files of 64 MiB of zeros each: no header claims much, so only counting
 * what is unpacked stops it, after real decompression work (about 100 KB per file to send).
 */
export async function zeroFiles(count: number): Promise<Buffer> {
  const size = 64 * 1024 ** 2;
  const zeros = gzipSync(Buffer.alloc(size), { level: 9 });
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(gzipSync(await tarHeader({ name: `zeros-${i}`, size, mode: 0o644 })), zeros);
  }
  parts.push(gzipSync(Buffer.alloc(1024)));
  return Buffer.concat(parts);
}
