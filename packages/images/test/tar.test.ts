import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DigestMismatch, extractTar, InvalidArchive, InvalidPath, packTar } from "../src/index";
import { requireRoot } from "./helpers";
import { type Member, streamOf, tarOf } from "./tar-fixtures";

const isRoot = requireRoot();

let base: string;
let dest: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "grove-img-tar-"));
  dest = join(base, "dest");
  outside = join(base, "outside");
  await mkdir(dest);
  await mkdir(outside);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function expectRejected(members: Member[], entryName: string): Promise<void> {
  const outsideBefore = await readdir(outside);
  const bytes = await tarOf(members);
  const err = await extractTar(streamOf(bytes), dest).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidArchive);
  expect((err as InvalidArchive).entry).toBe(entryName);
  expect((err as Error).message).toContain(entryName);
  expect(await readdir(outside)).toEqual(outsideBefore);
  expect(await readdir(base)).toEqual(["dest", "outside"]);
}

describe("extractTar refuses archives that would escape, writing nothing", () => {
  it("refuses a '..' member", async () => {
    await expectRejected(
      [
        { name: "ok.txt", body: "fine" },
        { name: "../outside/evil", body: "x" },
      ],
      "../outside/evil",
    );
    expect(await readdir(dest)).toEqual([]);
  });

  it("refuses an absolute member", async () => {
    await expectRejected([{ name: `${outside}/evil`, body: "x" }], `${outside}/evil`);
  });

  it("refuses a symlink pointing outside, absolute or relative", async () => {
    await expectRejected([{ name: "abs", type: "symlink", linkname: outside }], "abs");
    await expectRejected([{ name: "d/up", type: "symlink", linkname: "../../outside" }], "d/up");
    expect(await readdir(dest)).toEqual([]);
  });

  it("refuses a symlink that leaves only by way of another symlink", async () => {
    await symlink(outside, join(dest, "out"));
    await expectRejected([{ name: "via-existing", type: "symlink", linkname: "out/secret" }], "via-existing");
    await expectRejected(
      [
        { name: "a/", type: "directory" },
        { name: "a/here", type: "symlink", linkname: "." },
        { name: "a/up", type: "symlink", linkname: ".." },
        { name: "escape", type: "symlink", linkname: "a/up/a/here/../.." },
      ],
      "escape",
    );
  });

  it("accepts symlinks that stay inside through other symlinks", async () => {
    const members: Member[] = [
      { name: "usr/lib/libc.so", body: "lib" },
      { name: "lib", type: "symlink", linkname: "usr/lib" },
      { name: "bin/libc", type: "symlink", linkname: "../lib/libc.so" },
      { name: "bin/up", type: "symlink", linkname: "../lib/.." },
    ];
    await extractTar(streamOf(await tarOf(members)), dest);
    expect(await readFile(join(dest, "bin/libc"), "utf8")).toBe("lib");
  });

  it("refuses writing through a symlink declared earlier in the same archive", async () => {
    const members: Member[] = [
      { name: "link", type: "symlink", linkname: outside },
      { name: "link/pwned", body: "x" },
    ];
    const err = await extractTar(streamOf(await tarOf(members)), dest, { symlinks: "any" }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidArchive);
    expect(err.entry).toBe("link/pwned");
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(dest)).toEqual([]);
  });

  it("refuses hardlinks to files outside the destination", async () => {
    await writeFile(join(outside, "secret"), "s");
    await expectRejected([{ name: "hl", type: "link", linkname: "../outside/secret" }], "hl");
    await expectRejected([{ name: "hl2", type: "link", linkname: join(outside, "secret") }], "hl2");
    expect(await readdir(dest)).toEqual([]);
  });

  it("refuses device nodes and fifos", async () => {
    await expectRejected([{ name: "null", type: "character-device", devmajor: 1, devminor: 3 }], "null");
    await expectRejected([{ name: "disk", type: "block-device", devmajor: 8, devminor: 0 }], "disk");
    await expectRejected([{ name: "pipe", type: "fifo" }], "pipe");
  });

  it("does not follow a symlink already in the destination that points outside", async () => {
    await symlink(outside, join(dest, "out"));
    await expectRejected([{ name: "out/pwned", body: "x" }], "out/pwned");
    expect(await readlink(join(dest, "out"))).toBe(outside);
  });

  it("replaces an existing symlink with the directory an archive declares, instead of following it", async () => {
    await symlink(outside, join(dest, "out"));
    const members: Member[] = [
      { name: "out/", type: "directory" },
      { name: "out/file", body: "x" },
    ];
    await extractTar(streamOf(await tarOf(members)), dest);
    expect(await readdir(outside)).toEqual([]);
    expect((await lstat(join(dest, "out"))).isDirectory()).toBe(true);
    expect(await readFile(join(dest, "out/file"), "utf8")).toBe("x");
  });

  it("replaces (never writes through) an existing symlink at a member's own path", async () => {
    await writeFile(join(outside, "target"), "original");
    await symlink(join(outside, "target"), join(dest, "file"));
    await extractTar(streamOf(await tarOf([{ name: "file", body: "new" }])), dest);
    expect(await readFile(join(outside, "target"), "utf8")).toBe("original");
    expect(await readFile(join(dest, "file"), "utf8")).toBe("new");
    expect((await stat(join(dest, "file"))).isFile()).toBe(true);
  });
});

describe("extractTar writes what a well-formed archive holds", () => {
  it("extracts files, directories, contained symlinks and hardlinks with their modes", async () => {
    const members: Member[] = [
      { name: "./", type: "directory" },
      { name: "./app/", type: "directory", mode: 0o750 },
      { name: "./app/run.sh", body: "#!/bin/sh\necho hi\n", mode: 0o755 },
      { name: "./app/current", type: "symlink", linkname: "run.sh" },
      { name: "./app/copy", type: "link", linkname: "app/run.sh" },
      { name: "./implicit/parents/file.txt", body: "deep" },
    ];
    const result = await extractTar(streamOf(await tarOf(members)), dest);
    expect(result.entries).toBe(6);
    expect(await readFile(join(dest, "app/run.sh"), "utf8")).toContain("echo hi");
    expect((await stat(join(dest, "app/run.sh"))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dest, "app"))).mode & 0o777).toBe(0o750);
    expect(await readlink(join(dest, "app/current"))).toBe("run.sh");
    expect((await stat(join(dest, "app/copy"))).ino).toBe((await stat(join(dest, "app/run.sh"))).ino);
    expect(await readFile(join(dest, "implicit/parents/file.txt"), "utf8")).toBe("deep");
  });

  it("takes a member named exactly / as the root (as Docker does in image layers), not as an absolute path", async () => {
    const members: Member[] = [
      { name: "/", type: "directory" },
      { name: "etc/", type: "directory" },
      { name: "etc/motd", body: "hi" },
    ];
    await extractTar(streamOf(await tarOf(members)), dest);
    expect(await readFile(join(dest, "etc/motd"), "utf8")).toBe("hi");
    await expect(extractTar(streamOf(await tarOf([{ name: "/etc/motd", body: "x" }])), dest)).rejects.toThrow(
      /absolute path/,
    );
  });

  it("accepts gzip-compressed archives", async () => {
    const bytes = await tarOf([{ name: "z.txt", body: "zipped" }], { gzip: true });
    await extractTar(streamOf(bytes), dest);
    expect(await readFile(join(dest, "z.txt"), "utf8")).toBe("zipped");
  });

  it("reads an archive from a file path as well as from a stream", async () => {
    const file = join(base, "a.tar");
    await writeFile(file, await tarOf([{ name: "from-file", body: "f" }]));
    await extractTar(file, dest);
    expect(await readFile(join(dest, "from-file"), "utf8")).toBe("f");
  });

  it.runIf(isRoot)("shifts ownership by uidShift and keeps setuid bits", async () => {
    const members: Member[] = [
      { name: "bin/", type: "directory" },
      { name: "bin/tool", body: "x", mode: 0o4755, uid: 0, gid: 0 },
      { name: "home/vcap/", type: "directory", uid: 2000, gid: 2000 },
      { name: "home/vcap/link", type: "symlink", linkname: "../..", uid: 2000, gid: 2000 },
    ];
    await extractTar(streamOf(await tarOf(members)), dest, { uidShift: 100000 });
    const { stdout } = await execa("stat", ["-c", "%u:%g %a", join(dest, "bin/tool")]);
    expect(stdout).toBe("100000:100000 4755");
    const home = await stat(join(dest, "home/vcap"));
    expect([home.uid, home.gid]).toEqual([102000, 102000]);
    const { stdout: link } = await execa("stat", ["-c", "%u", join(dest, "home/vcap/link")]);
    expect(link).toBe("102000");
    expect((await stat(join(dest, "home"))).uid).toBe(100000);
  });

  it.runIf(isRoot)("keeps ids past the octal field that Go and GNU tar write as PAX records", async () => {
    const source = join(base, "source");
    await mkdir(source);
    await writeFile(join(source, "high"), "h");
    const archive = join(base, "pax.tar");
    await execa("tar", [
      "-cf",
      archive,
      "--format=pax",
      "--numeric-owner",
      "--owner=1000000000",
      "--group=1000000001",
      "-C",
      source,
      "high",
    ]);
    await extractTar(archive, dest, { uidShift: 100000 });
    const high = await stat(join(dest, "high"));
    expect([high.uid, high.gid]).toEqual([1000100000, 1000100001]);
  });

  it("drops setuid/setgid and world access with a mode mask (app bits)", async () => {
    const members: Member[] = [
      { name: "dir/", type: "directory", mode: 0o2777 },
      { name: "dir/suid", body: "x", mode: 0o6777 },
    ];
    await extractTar(streamOf(await tarOf(members)), dest, { modeMask: 0o770 });
    expect((await stat(join(dest, "dir/suid"))).mode & 0o7777).toBe(0o770);
    expect((await stat(join(dest, "dir"))).mode & 0o7777).toBe(0o770);
  });

  it("refuses a stream whose SHA-256 is not the digest asked for, writing nothing", async () => {
    const bytes = await tarOf([{ name: "f", body: "x" }]);
    const wrong = `sha256:${"0".repeat(64)}`;
    const err = await extractTar(streamOf(bytes), dest, { digest: wrong, spoolDir: base }).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatch);
    expect(await readdir(dest)).toEqual([]);
    expect((await readdir(base)).sort()).toEqual(["dest", "outside"]);
  });

  it.runIf(isRoot)("gives every member a fixed owner when asked", async () => {
    await extractTar(streamOf(await tarOf([{ name: "f", body: "x", uid: 5, gid: 6 }])), dest, {
      owner: { uid: 102000, gid: 102001 },
    });
    const st = await stat(join(dest, "f"));
    expect([st.uid, st.gid]).toEqual([102000, 102001]);
  });
});

describe("extractTar with OCI whiteouts", () => {
  it("deletes whited-out paths and clears opaque directories of lower contents", async () => {
    await mkdir(join(dest, "a"));
    await mkdir(join(dest, "b/sub"), { recursive: true });
    await writeFile(join(dest, "a/x"), "x");
    await writeFile(join(dest, "a/y"), "y");
    await writeFile(join(dest, "b/z"), "z");
    await writeFile(join(dest, "b/sub/deep"), "d");
    await writeFile(join(dest, "c"), "c");
    const layer: Member[] = [
      { name: ".wh.c", body: "" },
      { name: "a/.wh.x", body: "" },
      { name: "b/", type: "directory" },
      { name: "b/.wh..wh..opq", body: "" },
      { name: "b/new", body: "n" },
      { name: ".wh..wh.plnk", body: "" },
    ];
    await extractTar(streamOf(await tarOf(layer)), dest, { whiteouts: true, symlinks: "any" });
    expect((await readdir(dest)).sort()).toEqual(["a", "b"]);
    expect(await readdir(join(dest, "a"))).toEqual(["y"]);
    expect(await readdir(join(dest, "b"))).toEqual(["new"]);
  });

  it("keeps .wh. files as plain files when whiteouts are off", async () => {
    await extractTar(streamOf(await tarOf([{ name: ".wh.c", body: "" }])), dest);
    expect(await readdir(dest)).toEqual([".wh.c"]);
  });

  it("refuses a whiteout that reaches through an existing symlink", async () => {
    await writeFile(join(outside, "victim"), "v");
    await symlink(outside, join(dest, "out"));
    const err = await extractTar(streamOf(await tarOf([{ name: "out/.wh.victim", body: "" }])), dest, {
      whiteouts: true,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidArchive);
    expect(await readdir(outside)).toEqual(["victim"]);
  });
});

describe("packTar", () => {
  async function members(stream: NodeJS.ReadableStream): Promise<string[]> {
    const file = join(base, "out.tar");
    const { createWriteStream } = await import("node:fs");
    const { pipeline } = await import("node:stream/promises");
    await pipeline(stream, createWriteStream(file));
    const { stdout } = await execa("tar", ["-tvf", file]);
    return stdout.split("\n").map((line) => line.split(/\s+/).slice(5).join(" "));
  }

  it("packs a directory under its own name, with symlinks as symlinks", async () => {
    await mkdir(join(dest, "app/lib"), { recursive: true });
    await writeFile(join(dest, "app/lib/x"), "x");
    await symlink("/etc/passwd", join(dest, "app/pw"));
    const names = await members(await packTar(dest, "app"));
    expect(names).toEqual(["app/", "app/lib/", "app/lib/x", "app/pw -> /etc/passwd"]);
  });

  it("packs only the contents for a trailing slash, and round-trips through extractTar", async () => {
    await mkdir(join(dest, "app"), { recursive: true });
    await writeFile(join(dest, "app/a"), "A");
    const names = await members(await packTar(dest, "app/"));
    expect(names).toEqual(["./", "./a"]);
    const again = join(base, "again");
    await extractTar(await packTar(dest, "app"), again);
    expect(await readFile(join(again, "app/a"), "utf8")).toBe("A");
  });

  it("lets a reader stop early without leaving errors behind", async () => {
    await mkdir(join(dest, "big"), { recursive: true });
    for (let i = 0; i < 20; i++) await writeFile(join(dest, "big", `f${i}`), Buffer.alloc(256 * 1024, i));
    const stream = await packTar(dest, "big");
    const closed = new Promise((resolve) => stream.once("close", resolve));
    stream.once("data", () => stream.destroy());
    await closed;
    expect(stream.destroyed).toBe(true);
  });

  it("refuses a path that reaches through a symlink or does not exist", async () => {
    await writeFile(join(outside, "secret"), "s");
    await symlink(outside, join(dest, "out"));
    await expect(packTar(dest, "out/secret")).rejects.toBeInstanceOf(InvalidPath);
    await expect(packTar(dest, "../outside/secret")).rejects.toBeInstanceOf(InvalidPath);
    await expect(packTar(dest, "missing")).rejects.toBeInstanceOf(InvalidPath);
  });
});
