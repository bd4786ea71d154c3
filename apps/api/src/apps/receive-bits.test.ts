import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeStaleUploads, STALE_UPLOAD_MS } from "./receive-bits";

describe("removeStaleUploads", () => {
  let dir = "";
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("removes the uploads not written for an hour, and nothing else", async () => {
    dir = await mkdtemp(join(tmpdir(), "receive-bits-test-"));
    const now = Date.now();
    const old = new Date(now - STALE_UPLOAD_MS - 60_000);
    const upload = async (name: string, writtenAt: Date | null) => {
      await mkdir(join(dir, name));
      if (writtenAt === null) return;
      await writeFile(join(dir, name, "bits.tar"), "tar");
      await utimes(join(dir, name, "bits.tar"), writtenAt, writtenAt);
    };
    // a killed api's upload, one being received now, a dir whose upload never began (old), another
    // program's old dir, and an old dir whose upload is still being written (its file is fresh)
    await upload("grove-bits-killed", old);
    await upload("grove-bits-receiving", new Date(now));
    await upload("grove-bits-empty", null);
    await utimes(join(dir, "grove-bits-empty"), old, old);
    await upload("other-program", old);
    await upload("grove-bits-slow", new Date(now - 1_000));
    await utimes(join(dir, "grove-bits-slow"), old, old);

    expect(await removeStaleUploads(dir, STALE_UPLOAD_MS, now)).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(["grove-bits-receiving", "grove-bits-slow", "other-program"]);
    expect(await removeStaleUploads(dir, STALE_UPLOAD_MS, now)).toBe(0);
  });
});
