import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_ARCHIVE_LIMITS } from "@grove/images/archive";
import { it as test } from "@grove/testkit";
import { hostileMembers, tarOf } from "@grove/testkit/archives";
import { describe, expect } from "vitest";
import { UnprocessableArchive } from "../errors";
import { validateArchive } from "./archive";

async function check(tmp: string, data: Buffer, limits = DEFAULT_ARCHIVE_LIMITS) {
  const path = join(tmp, "bits.tar");
  await writeFile(path, data);
  return validateArchive(path, limits);
}

describe("validateArchive", () => {
  test("accepts an archive the agent would unpack, plain or gzipped", async ({ tmp }) => {
    const members = [
      { name: "app/", type: "directory" as const },
      { name: "app/index.html", body: "hi" },
    ];
    expect((await check(tmp, await tarOf(members))).entries).toBe(2);
    expect((await check(tmp, await tarOf(members, { gzip: true }))).entries).toBe(2);
  });

  test("refuses with 422 naming the member", async ({ tmp }) => {
    const error = await check(tmp, await tarOf(hostileMembers.traversal())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnprocessableArchive);
    expect((error as UnprocessableArchive).status).toBe(422);
    expect((error as UnprocessableArchive).entry).toBe("app/../../../../tmp/grove-traversal");
    expect((error as UnprocessableArchive).limit).toBeUndefined();
  });

  test("names the limit and the setting an archive went past", async ({ tmp }) => {
    const limits = { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 1 };
    const error = await check(tmp, await tarOf([{ name: "a" }, { name: "b" }]), limits).catch(
      (e: unknown) => e,
    );
    expect((error as UnprocessableArchive).limit).toEqual({
      name: "entries",
      setting: "GROVE_ARCHIVE_MAX_ENTRIES",
      max: 1,
    });
    expect((error as Error).message).toMatch(/GROVE_ARCHIVE_MAX_ENTRIES/);
  });

  test("refuses bytes that are not a tar, and an empty archive", async ({ tmp }) => {
    await expect(check(tmp, Buffer.from("this is not a tar archive, just text".repeat(30)))).rejects.toThrow(
      /not a tar archive/,
    );
    await expect(check(tmp, await tarOf([]))).rejects.toThrow(/empty/);
  });
});
