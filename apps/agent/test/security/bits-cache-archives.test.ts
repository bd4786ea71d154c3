import { createHash } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_ARCHIVE_LIMITS, InvalidArchive } from "@grove/images/archive";
import { describeWith, it, runId, type TestNats } from "@grove/testkit";
import { gzipBomb, hostileMembers, manySymlinks, tarOf } from "@grove/testkit/archives";
import { type ObjectStore, Objm } from "@nats-io/obj";
import { pino } from "pino";
import { expect, onTestFinished } from "vitest";
import { APP_DIR, BitsCache, BitsTampered } from "../../src/bits-cache";

const sha256 = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;
let buckets = 0;

/** A BitsCache over its own object store bucket on the test's NATS, as the agent makes it. */
async function cacheOn(
  nats: TestNats,
  dir: string,
  options: { maxBytes?: number; inUse?: () => string[] } = {},
): Promise<{ cache: BitsCache; store: ObjectStore; put(bytes: Buffer, as?: string): Promise<string> }> {
  const nc = await nats.connect();
  onTestFinished(() => nc.close());
  const store = await new Objm(nc).create(`bits-${runId}-${++buckets}`);
  const cache = new BitsCache({
    dir,
    store: async () => store,
    limits: DEFAULT_ARCHIVE_LIMITS,
    maxBytes: options.maxBytes ?? 1024 ** 3,
    inUse: options.inUse ?? (() => []),
    log: pino({ level: "silent" }),
  });
  return {
    cache,
    store,
    async put(bytes, as = sha256(bytes)) {
      await store.putBlob({ name: as }, bytes);
      return as;
    },
  };
}

/** Runs `work` beside a 100 ms timer (the agent's heartbeat is a timer too); the longest gap between ticks. */
async function rhythmWhile<T>(
  work: Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; longestGapMs: number }> {
  let last = performance.now();
  let longestGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 100);
  const [result] = await Promise.allSettled([work]);
  clearInterval(timer);
  return { result: result as PromiseSettledResult<T>, longestGapMs };
}

const attacks: [string, () => Promise<Buffer>][] = [
  ["a .. traversal", () => tarOf(hostileMembers.traversal())],
  ["an absolute path", () => tarOf(hostileMembers.absolutePath())],
  ["a write through a symlink", () => tarOf(hostileMembers.symlinkWriteThrough())],
  ["a symlink out, then a write through it", () => tarOf(hostileMembers.escapingSymlinkWriteThrough())],
  ["a hard link to a host file", () => tarOf(hostileMembers.hardlinkToHostFile())],
  ["a device node", () => tarOf(hostileMembers.device())],
  ["a fifo", () => tarOf(hostileMembers.fifo())],
  ["200,000 symlinks", () => manySymlinks(200_000)],
  ["14 chained symlinks", () => tarOf(hostileMembers.chainedSymlinks(14))],
  ["a 10 MB gzip bomb of 10 GiB of zeros", () => gzipBomb()],
];

describeWith(["root", "nats"], "the agent's bits cache against hostile archives in the object store", () => {
  for (const [attack, build] of attacks) {
    it(`refuses ${attack} in bounded time, timers keeping their rhythm, writing nothing`, async ({
      nats,
      tmp,
    }) => {
      const dir = join(tmp, "bits");
      const { cache, put } = await cacheOn(nats, dir);
      const digest = await put(await build());
      const started = performance.now();
      const { result, longestGapMs } = await rhythmWhile(cache.layer(digest));
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(InvalidArchive);
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(longestGapMs).toBeLessThan(1_000);
      expect(await readdir(dir)).toEqual([]);
      expect(await readdir("/tmp")).not.toContain("grove-traversal");
    });
  }

  it("refuses a blob that is not the bytes its digest names, writing nothing", async ({ nats, tmp }) => {
    const dir = join(tmp, "bits");
    const { cache, put } = await cacheOn(nats, dir);
    const honest = await tarOf([{ name: "index.html", body: "hello" }]);
    const digest = await put(await tarOf([{ name: "index.html", body: "evil" }]), sha256(honest));
    const error = await cache.layer(digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BitsTampered);
    expect((error as Error).message).toMatch(/tampered/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("keeps bits root-only and strips setuid, setgid and world access from the host copy", async ({
    nats,
    tmp,
  }) => {
    const dir = join(tmp, "bits");
    const { cache, put } = await cacheOn(nats, dir);
    const layer = await cache.layer(await put(await tarOf(hostileMembers.setuid())));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const suid = await stat(join(layer, APP_DIR, "suid"));
    expect(suid.mode & 0o7777).toBe(0o770);
    expect([suid.uid, suid.gid]).toEqual([2000, 2000]);
  });

  it("removes least recently used bits past its size, never bits in use", async ({ nats, tmp }) => {
    const dir = join(tmp, "bits");
    const inUse = new Set<string>();
    const body = "x".repeat(40_000);
    const { cache, put } = await cacheOn(nats, dir, { maxBytes: 100_000, inUse: () => [...inUse] });
    const [a, b, c] = [
      await put(await tarOf([{ name: "a", body }])),
      await put(await tarOf([{ name: "b", body }])),
      await put(await tarOf([{ name: "c", body }])),
    ];
    inUse.add(a as string);
    await cache.layer(a as string);
    await cache.layer(b as string);
    await cache.layer(c as string);
    const cached = await readdir(dir);
    expect(cached).toContain((a as string).replace(":", "-"));
    expect(cached).not.toContain((b as string).replace(":", "-"));
    expect(cached).toContain((c as string).replace(":", "-"));
    expect(await cache.sizeBytes()).toBeLessThanOrEqual(100_000);
    // a restarted agent finds what is cached and keeps within the limit too
    const again = await cacheOn(nats, dir, { maxBytes: 1, inUse: () => [c as string] });
    expect(await again.cache.sizeBytes()).toBeGreaterThan(0);
    expect(await readdir(dir)).toEqual([(c as string).replace(":", "-")]);
  });
});
