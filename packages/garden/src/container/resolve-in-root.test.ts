import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveInRoot } from "./resolve-in-root";

describe("resolveInRoot", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "rir-"));
    await mkdir(join(root, "real/dir"), { recursive: true });
    await symlink("/etc", join(root, "abs"));
    await symlink("../../../../..", join(root, "real/up"));
    await symlink("dir", join(root, "real/rel"));
    await symlink("loop", join(root, "loop"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("keeps absolute link targets inside the root", async () => {
    expect(await resolveInRoot(root, "/abs/passwd")).toBe(join(root, "etc/passwd"));
  });

  it("never climbs above the root with .. or a link full of ..", async () => {
    expect(await resolveInRoot(root, "/../../etc")).toBe(join(root, "etc"));
    expect(await resolveInRoot(root, "/real/up/etc")).toBe(join(root, "etc"));
  });

  it("follows relative links and appends components that do not exist yet", async () => {
    expect(await resolveInRoot(root, "/real/rel/new/file")).toBe(join(root, "real/dir/new/file"));
  });

  it("refuses a symlink loop", async () => {
    await expect(resolveInRoot(root, "/loop/x")).rejects.toThrow(/symbolic links/);
  });
});
