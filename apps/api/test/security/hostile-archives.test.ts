import { createHash } from "node:crypto";
import { describeWith, it } from "@grove/testkit";
import { gzipBomb, hostileMembers, manySymlinks, tarOf } from "@grove/testkit/archives";
import { Objm } from "@nats-io/obj";
import { expect } from "vitest";
import { BITS_BUCKET } from "../../src/nats/bits-store";
import { expectStatus, startTestApi, type TestApi, webApp } from "../harness";

const sha256 = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

/** Calls /livez every 50 ms while `work` runs; the longest wait for an answer (or between answers). */
async function livezWhile<T>(t: TestApi, work: Promise<T>): Promise<{ result: T; longestMs: number }> {
  let done = false;
  let longestMs = 0;
  const probe = (async () => {
    let last = performance.now();
    while (!done) {
      const res = await t.call("/livez", { token: null });
      expect(res.status).toBe(200);
      const now = performance.now();
      longestMs = Math.max(longestMs, now - last);
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 50));
      last = performance.now();
    }
  })();
  try {
    return { result: await work, longestMs };
  } finally {
    done = true;
    await probe;
  }
}

const attacks: [string, () => Promise<Buffer>, RegExp][] = [
  ["a .. traversal", () => tarOf(hostileMembers.traversal()), /'\.\.'/],
  ["an absolute path", () => tarOf(hostileMembers.absolutePath()), /absolute path/],
  ["a write through a symlink", () => tarOf(hostileMembers.symlinkWriteThrough()), /is a symlink/],
  ["a symlink out of the archive", () => tarOf(hostileMembers.escapingSymlinkWriteThrough()), /leaves/],
  ["a hard link to a host file", () => tarOf(hostileMembers.hardlinkToHostFile()), /leaves/],
  ["a device node", () => tarOf(hostileMembers.device()), /character-device/],
  ["a fifo", () => tarOf(hostileMembers.fifo()), /fifo/],
  ["200,000 symlinks", () => manySymlinks(200_000), /limit links/],
  ["14 chained symlinks", () => tarOf(hostileMembers.chainedSymlinks(14)), /limit linkDepth/],
  ["a 10 MB gzip bomb of 10 GiB of zeros", () => gzipBomb(), /limit unpackedBytes/],
  [
    "a gzip bomb of zeros without a header",
    () => gzipBomb(10 * 1024 ** 3, { header: false }),
    /unpackedBytes/,
  ],
];

describeWith(["root", "postgres", "nats"], "hostile app archives at upload", () => {
  for (const [attack, build, reason] of attacks) {
    it(`refuses ${attack} with 422 in bounded time, /livez answering throughout, changing nothing`, async ({
      pg,
      nats,
    }) => {
      const t = await startTestApi(pg, nats, { GROVE_ARCHIVE_MAX_UNPACKED_BYTES: String(256 * 1024 ** 2) });
      const dev = await t.tenantWithToken("acme");
      await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
      const bits = await build();
      const started = performance.now();
      const { result: res, longestMs } = await livezWhile(
        t,
        t.call("/v1/apps/web/bits", { method: "PUT", token: dev, body: bits }),
      );
      const problem = (await expectStatus(res, 422)) as {
        type: string;
        detail: string;
        limit?: { setting: string };
      };
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(longestMs).toBeLessThan(1_000);
      expect(problem.type).toBe("urn:grove:problem:invalid-archive");
      expect(problem.detail).toMatch(reason);
      if (problem.limit) expect(problem.detail).toContain(problem.limit.setting);
      // nothing changed: no revision, no bits recorded or stored
      const app = (await expectStatus(await t.call("/v1/apps/web", { token: dev }), 200)) as {
        revision: number;
      };
      expect(app.revision).toBe(1);
      await expectStatus(await t.call(`/v1/bits/${sha256(bits)}`, { token: dev }), 404);
      const store = await new Objm(t.nc).create(BITS_BUCKET);
      expect(await store.info(sha256(bits))).toBeNull();
    });
  }
});
