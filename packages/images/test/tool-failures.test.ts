import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChildFailed } from "@grove/child";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mountLimitedScratch, remountLimitedScratch } from "../src/disk-limit";
import { MountFailed } from "../src/index";
import { mountOverlay } from "../src/overlay";
import { mountedUnder, requireRoot } from "./helpers";

async function failureOf(work: Promise<unknown>): Promise<MountFailed> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MountFailed);
  expect((error as MountFailed).cause).toBeInstanceOf(ChildFailed);
  return error as MountFailed;
}

// A failing mount or mkfs says what the tool said, and what to do: never a bare exit code.
describe.runIf(requireRoot())("a failing mount tool explains itself", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "grove-tool-failures-"));
  });
  afterEach(async () => {
    for (const mount of (await mountedUnder(dir)).reverse()) await execa("umount", ["-l", mount]);
    await rm(dir, { recursive: true, force: true });
  });

  it("mkfs.ext4 on a full filesystem quotes mkfs.ext4 and points at free space", async () => {
    const full = join(dir, "full");
    await mkdir(full);
    await execa("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", full]);
    const error = await failureOf(
      mountLimitedScratch(join(full, "disk.img"), join(dir, "scratch"), 64 << 20),
    );
    expect(error.message).toMatch(
      /^mkfs\.ext4: mkfs\.ext4 exited with code 1:\n {2}.*No space left on device/,
    );
    expect(error.message).toMatch(/\nCheck the free space where the image store is/);
  });

  it("mounting an image that holds no filesystem quotes mount and points at loop devices", async () => {
    const image = join(dir, "empty.img");
    await writeFile(image, Buffer.alloc(1 << 20));
    const error = await failureOf(remountLimitedScratch(image, join(dir, "scratch")));
    expect(error.message).toMatch(/^mount scratch: mount exited with code 32:\n {2}mount: /);
    expect(error.message).toMatch(/\nCheck that loop devices work here/);
    expect(await mountedUnder(dir)).toEqual([]);
  });

  it("an overlay over a missing layer quotes mount and names overlayfs", async () => {
    const error = await failureOf(
      mountOverlay({
        lowerDirs: [join(dir, "missing-layer")],
        upperDir: join(dir, "upper"),
        workDir: join(dir, "work"),
        target: join(dir, "rootfs"),
      }),
    );
    expect(error.message).toMatch(/^mount overlay: mount exited with code 32:\n {2}mount: /);
    expect(error.message).toMatch(/\nCheck that overlayfs is available/);
  });
});
