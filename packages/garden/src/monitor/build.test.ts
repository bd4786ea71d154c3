import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { ensureHelperBinaries, ensureHelperBinary } from "./build";

describe("ensureHelperBinary", () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("compiles each helper once per source version and reuses it", async () => {
    dir = await mkdtemp(join(tmpdir(), "gmb-"));
    const [first, second] = await Promise.all([
      ensureHelperBinary(dir, "monitor"),
      ensureHelperBinary(dir, "monitor"),
    ]);
    expect(first).toBe(second);
    expect(first).toMatch(/grove-monitor-[0-9a-f]{12}$/);
    const built = await stat(first);
    expect(built.mode & 0o111).not.toBe(0);
    expect(await ensureHelperBinary(dir, "monitor")).toBe(first);
    expect((await stat(first)).mtimeMs).toBe(built.mtimeMs);
    const both = await ensureHelperBinaries(dir);
    expect(both.monitor).toBe(first);
    expect(both.init).toMatch(/grove-init-[0-9a-f]{12}$/);
    expect(both.files).toMatch(/grove-files-[0-9a-f]{12}$/);
  }, 60_000);

  it("links the init statically: it runs in root filesystems without a C library", async () => {
    dir ??= await mkdtemp(join(tmpdir(), "gmb-"));
    const init = await ensureHelperBinary(dir, "init");
    const ldd = await execa("ldd", [init], { reject: false });
    expect(`${ldd.stdout}${ldd.stderr}`).toMatch(/not a dynamic executable|statically linked/);
  }, 60_000);

  it("a compiler that fails is quoted, with what to install", async () => {
    const empty = await mkdtemp(join(tmpdir(), "gmb-cc-"));
    try {
      const error = await ensureHelperBinary(empty, "init", "false").catch((e: unknown) => e as Error);
      expect((error as Error).message).toMatch(
        /^cannot compile grove-init: false exited with code 1 without a message\nInstall gcc and libc6-dev/,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
