import { spawn } from "node:child_process";
import { once } from "node:events";
import { access, mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tarListing } from "../../test/tar-listing";
import { packDirectory, type Skipped } from "./pack-directory";

describe("packDirectory", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "grove-pack-test-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("leaves out what .groveignore names (gitignore syntax) and version-control metadata", async () => {
    await mkdir(join(dir, "src/cache"), { recursive: true });
    await mkdir(join(dir, "node_modules/x"), { recursive: true });
    await mkdir(join(dir, ".git"));
    await writeFile(join(dir, ".git/HEAD"), "ref");
    await writeFile(join(dir, ".groveignore"), "node_modules/\n*.log\n!keep.log\n/secret.txt\nsrc/cache/\n");
    for (const file of [
      "app.sh",
      "debug.log",
      "keep.log",
      "secret.txt",
      "src/secret.txt",
      "src/cache/a",
      "node_modules/x/i.js",
    ]) {
      await writeFile(join(dir, file), file);
    }
    const packed = await packDirectory(dir);
    try {
      expect(await tarListing(packed.path)).toEqual({
        "app.sh": "file",
        "keep.log": "file",
        "src/": "directory",
        "src/secret.txt": "file",
      });
      expect(packed.entries).toBe(4);
    } finally {
      await packed.remove();
    }
  });

  it("stores links inside the directory as links and skips links that leave it", async () => {
    await mkdir(join(dir, "lib"));
    await writeFile(join(dir, "lib/real.txt"), "x");
    await symlink("real.txt", join(dir, "lib/inside"));
    await symlink("../../etc/passwd", join(dir, "lib/escape"));
    await symlink("/etc/passwd", join(dir, "absolute"));
    const skipped: Skipped[] = [];
    const packed = await packDirectory(dir, (s) => skipped.push(s));
    try {
      expect(await tarListing(packed.path)).toEqual({
        "lib/": "directory",
        "lib/inside": "symlink → real.txt",
        "lib/real.txt": "file",
      });
      expect(skipped.map((s) => s.path).sort()).toEqual(["absolute", "lib/escape"]);
      expect(skipped[0]?.reason).toMatch(/points outside the app directory/);
    } finally {
      await packed.remove();
    }
  });

  it("gives the same digest for the same tree and a new one when a file changes", async () => {
    await writeFile(join(dir, "b.txt"), "b");
    await writeFile(join(dir, "a.txt"), "a");
    const pin = new Date("2026-01-01T00:00:00Z");
    await utimes(join(dir, "a.txt"), pin, pin);
    const first = await packDirectory(dir);
    const second = await packDirectory(dir);
    await writeFile(join(dir, "a.txt"), "A");
    await utimes(join(dir, "a.txt"), pin, pin);
    const third = await packDirectory(dir);
    try {
      expect(second.digest).toBe(first.digest);
      expect(third.digest).not.toBe(first.digest);
      expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    } finally {
      await Promise.all([first, second, third].map((p) => p.remove()));
    }
  });

  it("refuses a missing directory and one that ignores everything", async () => {
    await expect(packDirectory(join(dir, "nope"))).rejects.toThrow(/is not a directory/);
    await writeFile(join(dir, ".groveignore"), "*\n");
    await writeFile(join(dir, "a"), "a");
    await expect(packDirectory(dir)).rejects.toThrow(/nothing to push/);
  });

  it.each([
    [
      "interrupted (Ctrl-C during a push), which still ends by the signal",
      "SIGINT",
      { code: null, signal: "SIGINT" },
    ],
    ["terminated", "SIGTERM", { code: null, signal: "SIGTERM" }],
    ["exited (a closed stdout's EPIPE exits at once)", "exit", { code: 0, signal: null }],
  ] as const)("deletes its temp dir when the process is %s", async (_what, end, ended) => {
    await writeFile(join(dir, "app.sh"), "httpd");
    const scripts = await mkdtemp(join(tmpdir(), "grove-pack-signal-"));
    try {
      const script = join(scripts, "pack.mts");
      const source = fileURLToPath(new URL("./pack-directory.ts", import.meta.url));
      await writeFile(
        script,
        `import { packDirectory } from ${JSON.stringify(source)};
const packed = await packDirectory(process.argv[2] as string);
process.stdout.write(packed.path + "\\n");
process.stdin.once("data", () => process.exit(0));
setInterval(() => {}, 1000);
`,
      );
      const child = spawn(process.execPath, ["--import", "tsx", script, dir], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      const exited = once(child, "exit");
      let out = "";
      for await (const chunk of child.stdout) {
        out += String(chunk);
        if (out.includes("\n")) break;
      }
      const tar = out.trim();
      expect(tar).toMatch(/grove-push-.*bits\.tar$/);
      await access(tar);
      if (end === "exit") child.stdin.write("exit\n");
      else child.kill(end);
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual(ended);
      await expect(access(dirname(tar))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(scripts, { recursive: true, force: true });
    }
  });

  it("leaves no temp dir when Ctrl-C comes the moment the dir is made", async () => {
    await writeFile(join(dir, "app.sh"), "httpd");
    const scripts = await mkdtemp(join(tmpdir(), "grove-pack-signal-"));
    try {
      const temp = join(scripts, "tmp");
      await mkdir(temp);
      const script = join(scripts, "pack.mts");
      const source = fileURLToPath(new URL("./pack-directory.ts", import.meta.url));
      // Both ways of making a temp dir raise SIGINT at the process itself as soon as the dir exists.
      await writeFile(
        script,
        `import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
const made = (dir: string) => { process.kill(process.pid, "SIGINT"); return dir; };
const mkdtempSync = fs.mkdtempSync;
fs.mkdtempSync = ((prefix: string) => made(mkdtempSync(prefix))) as typeof fs.mkdtempSync;
const mkdtemp = fs.promises.mkdtemp;
fs.promises.mkdtemp = (async (prefix: string) => made(await mkdtemp(prefix))) as typeof fs.promises.mkdtemp;
syncBuiltinESMExports();
const { packDirectory } = await import(${JSON.stringify(source)});
await packDirectory(process.argv[2] as string);
setInterval(() => {}, 1000);
`,
      );
      const child = spawn(process.execPath, ["--import", "tsx", script, dir], {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, TMPDIR: temp },
      });
      const [code, signal] = await once(child, "exit");
      expect({ code, signal }).toEqual({ code: null, signal: "SIGINT" });
      expect((await readdir(temp)).filter((name) => name.startsWith("grove-push-"))).toEqual([]);
    } finally {
      await rm(scripts, { recursive: true, force: true });
    }
  });
});
