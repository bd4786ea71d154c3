import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { it as test } from "@grove/testkit";
import { pack } from "tar-stream";
import { describe, expect } from "vitest";
import { InvalidArchive, validateArchive } from "./archive";

type Entry = {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "character-device";
  linkname?: string;
  body?: string;
};

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries)
    p.entry({ name: e.name, type: e.type ?? "file", linkname: e.linkname }, e.body ?? "");
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function check(tmp: string, data: Buffer): Promise<number> {
  const path = join(tmp, "bits.tar");
  await writeFile(path, data);
  return validateArchive(path);
}

describe("validateArchive", () => {
  test("accepts files, directories and links that stay inside, plain or gzipped", async ({ tmp }) => {
    const tar = await tarOf([
      { name: "app/", type: "directory" },
      { name: "app/index.html", body: "hi" },
      { name: "app/current", type: "symlink", linkname: "index.html" },
      { name: "app/sub/up", type: "symlink", linkname: "../index.html" },
      { name: "app/copy", type: "link", linkname: "app/index.html" },
    ]);
    expect(await check(tmp, tar)).toBe(5);
    expect(await check(tmp, gzipSync(tar))).toBe(5);
  });

  const unsafe: [string, Entry][] = [
    ["an absolute path", { name: "/etc/passwd" }],
    ["a .. path", { name: "app/../../etc/passwd" }],
    ["a symlink escaping the root", { name: "app/evil", type: "symlink", linkname: "../../etc" }],
    ["an absolute symlink", { name: "evil", type: "symlink", linkname: "/etc/shadow" }],
    ["a hard link outside", { name: "evil", type: "link", linkname: "../outside" }],
    ["a device", { name: "null", type: "character-device" }],
  ];
  for (const [what, entry] of unsafe) {
    test(`refuses ${what}, naming the entry`, async ({ tmp }) => {
      const tar = await tarOf([{ name: "ok.txt", body: "x" }, entry]);
      const error = await check(tmp, tar).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArchive);
      expect((error as InvalidArchive).entry).toBe(entry.name);
    });
  }

  test("refuses bytes that are not a tar, and an empty archive", async ({ tmp }) => {
    await expect(check(tmp, Buffer.from("this is not a tar archive, just text".repeat(30)))).rejects.toThrow(
      InvalidArchive,
    );
    await expect(check(tmp, await tarOf([]))).rejects.toThrow(/empty/);
  });
});
