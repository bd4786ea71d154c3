import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { it } from "@grove/testkit";
import { gzipBomb, hostileMembers, manySymlinks, tarOf } from "@grove/testkit/archives";
import { describe, expect } from "vitest";
import {
  ArchiveLimitExceeded,
  DEFAULT_ARCHIVE_LIMITS,
  InvalidArchive,
  planArchive,
} from "../src/archive/index";
import type { PlanOptions } from "../src/archive/planner";

const options: PlanOptions = {
  limits: DEFAULT_ARCHIVE_LIMITS,
  symlinks: "contained",
  devices: "reject",
  whiteouts: false,
};

async function planBytes(tmp: string, bytes: Buffer, opts: PlanOptions = options) {
  const path = join(tmp, "bits.tar");
  await writeFile(path, bytes);
  return planArchive(path, opts);
}

/** Longest gap between timer ticks while `work` runs: how long the event loop was held. */
async function longestStall<T>(
  work: Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  const [result] = await Promise.allSettled([work]);
  clearInterval(timer);
  return { result: result as PromiseSettledResult<T>, stallMs };
}

describe("planArchive reads an archive file once, within its limits", () => {
  it("plans a plain and a gzipped tar alike", async ({ tmp }) => {
    const tar = await tarOf([
      { name: "app/", type: "directory" },
      { name: "app/index.html", body: "hi" },
    ]);
    const plain = await planBytes(tmp, tar);
    expect(plain.entries).toBe(2);
    expect(plain.unpackedBytes).toBe(tar.length);
    expect((await planBytes(tmp, await tarOf([{ name: "a" }], { gzip: true }))).entries).toBe(1);
  });

  it("refuses bytes that are not a tar", async ({ tmp }) => {
    const error = await planBytes(tmp, Buffer.from("not a tar at all ".repeat(100))).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidArchive);
    expect(error.message).toMatch(/not a tar archive/);
  });

  it("refuses a gzip bomb (10 GiB of zeros in 10 MB) at its header", async ({ tmp }) => {
    const started = performance.now();
    const error = await planBytes(tmp, await gzipBomb()).catch((e) => e);
    expect(error).toBeInstanceOf(ArchiveLimitExceeded);
    expect(error.limit).toBe("unpackedBytes");
    expect(error.entry).toBe("zeros");
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("stops decompressing a headerless gzip bomb at the unpacked-bytes limit", async ({ tmp }) => {
    const bomb = await gzipBomb(10 * 1024 ** 3, { header: false });
    const limits = { ...DEFAULT_ARCHIVE_LIMITS, maxUnpackedBytes: 256 * 1024 ** 2 };
    const started = performance.now();
    const { result, stallMs } = await longestStall(planBytes(tmp, bomb, { ...options, limits }));
    const elapsed = performance.now() - started;
    expect(result.status).toBe("rejected");
    const error = (result as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(ArchiveLimitExceeded);
    expect(error.limit).toBe("unpackedBytes");
    // decompressing all 10 GiB takes about a minute on this kind of machine
    expect(elapsed).toBeLessThan(20_000);
    expect(stallMs).toBeLessThan(1_000);
  });

  it("refuses 200,000 symlinks and 14 chained ones in bounded time without holding the event loop", async ({
    tmp,
  }) => {
    for (const bytes of [await manySymlinks(), await tarOf(hostileMembers.chainedSymlinks(14))]) {
      const started = performance.now();
      const { result, stallMs } = await longestStall(planBytes(tmp, bytes));
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ArchiveLimitExceeded);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(stallMs).toBeLessThan(1_000);
    }
  });
});
