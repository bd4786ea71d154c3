import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImages, type PullProgress } from "../src/index";
import { storeEntries } from "../src/store-gc";
import { requireRoot, tempStore } from "./helpers";
import { type BuiltImage, buildImage } from "./oci-fixture";
import { pushImage, startRegistry, type TestRegistry, watchingProxy } from "./registry-fixture";

const isRoot = requireRoot();
const MAPPING = { hostId: 100000, size: 65536 };

/** A layer of `bytes` of incompressible-ish text in one file, so its blob is about that big. */
const bigLayer = (name: string, bytes: number) => [{ name, body: randomBytes(bytes).toString("base64") }];

const hexOf = (digest: string) => digest.slice("sha256:".length);

describe.runIf(isRoot)("registry pulls", () => {
  let registry: TestRegistry;
  let store: Awaited<ReturnType<typeof tempStore>>;

  beforeAll(async () => {
    registry = await startRegistry();
    store = await tempStore("pull");
    await chmod(store.dir, 0o755); // user-namespaced containers reach their rootfs through it
  });
  afterAll(async () => {
    await registry?.stop();
    await store?.cleanup();
  });

  it("fetches several layers at once, streams them to disk and reports bytes of the total", async () => {
    const image = await buildImage([0, 1, 2, 3, 4].map((i) => bigLayer(`layer-${i}`, 400_000)));
    await pushImage(registry.host, "grove/five", "v1", [image]);
    const proxy = await watchingProxy(registry);
    try {
      // about 0.7 s in all, so progress (told at most every 250 ms) is seen midway even on a quiet machine
      proxy.slow = 50;
      const images = createImages({ storeDir: join(store.dir, "five") });
      const seen: PullProgress[] = [];
      await images.pull({ uri: `docker://${proxy.host}/grove/five#v1` }, (p) => seen.push(p));
      expect(proxy.traffic.maxConcurrent).toBeGreaterThanOrEqual(2);
      const total = [image.config, ...image.layers].reduce((sum, b) => sum + b.bytes.length, 0);
      expect(seen.at(-1)).toEqual({ bytes: total, total });
      expect(seen.length).toBeGreaterThan(2);
      for (const [i, p] of seen.entries()) {
        expect(p.total).toBe(total);
        if (i > 0) expect(p.bytes).toBeGreaterThanOrEqual(seen[i - 1]?.bytes ?? 0);
      }
      const blobs = await readdir(join(store.dir, "five/blobs/sha256"));
      for (const layer of image.layers) expect(blobs).toContain(hexOf(layer.digest));
    } finally {
      await proxy.stop();
    }
  });

  it("a pull killed halfway (a cell restarting) is continued with a Range request and verified", {
    timeout: 180_000,
  }, async () => {
    const image: BuiltImage = await buildImage([bigLayer("big", 3_000_000)]);
    const layer = image.layers[0];
    if (!layer) throw new Error("no layer");
    await pushImage(registry.host, "grove/resume", "v1", [image]);
    const proxy = await watchingProxy(registry);
    const storeDir = join(store.dir, "resume");
    const uri = `docker://${proxy.host}/grove/resume#v1`;
    try {
      proxy.slow = 20;
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(import.meta.dirname, "fixtures/pull-child.ts"), storeDir, uri],
        { stdio: ["ignore", "pipe", "pipe"], cwd: join(import.meta.dirname, "..") },
      );
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        // killed without a chance to clean up, as in a crash, once a third of the layer is there
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("the pull never got a third of the way")), 120_000);
          let stderr = "";
          child.stderr.on("data", (chunk: Buffer) => {
            stderr += chunk.toString();
          });

          child.once("exit", () => reject(new Error(`the pull child ended first: ${stderr}`)));
          const check = setInterval(() => {
            if ((proxy.traffic.sent.get(layer.digest) ?? 0) > layer.bytes.length / 3) {
              clearInterval(check);
              clearTimeout(timer);
              resolve();
            }
          }, 10);
        });
      } finally {
        child.kill("SIGKILL");
        await exited;
      }
      const kept = (await stat(join(storeDir, "blobs/partial", hexOf(layer.digest)))).size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(layer.bytes.length);

      proxy.slow = 0;
      const images = createImages({ storeDir });
      const seen: PullProgress[] = [];
      await images.pull({ uri }, (p) => seen.push(p));
      const layerGets = proxy.traffic.requests.filter((r) => r.digest === layer.digest);
      expect(layerGets.map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`]);
      expect(await readFile(join(storeDir, "blobs/sha256", hexOf(layer.digest)))).toEqual(layer.bytes);
      expect(await readdir(join(storeDir, "blobs/partial"))).toEqual([]);
      expect(seen.at(-1)).toEqual({
        bytes: image.config.bytes.length + layer.bytes.length,
        total: seen[0]?.total,
      });
      const info = await images.create({ handle: `resume-${process.pid}`, image: { uri }, uidMapping: null });
      expect((await stat(join(info.path, "big"))).size).toBe(4_000_000); // base64 of 3 MB
      await images.destroy(`resume-${process.pid}`);
    } finally {
      await proxy.stop();
    }
  });

  it("a blob download that stops sending is given up after the idle timeout and continued with a Range request", {
    timeout: 120_000,
  }, async () => {
    const image = await buildImage([bigLayer("stalled", 600_000)]);
    const layer = image.layers[0];
    if (!layer) throw new Error("no layer");
    await pushImage(registry.host, "grove/stall", "v1", [image]);
    const proxy = await watchingProxy(registry);
    const storeDir = join(store.dir, "stall");
    try {
      // the layer's first GET sends 200 kB and then nothing, holding the connection open
      proxy.stallAfter = 200_000;
      const images = createImages({ storeDir, blobIdleTimeoutMs: 1_000 });
      await images.pull({ uri: `docker://${proxy.host}/grove/stall#v1` });
      const layerGets = proxy.traffic.requests.filter((r) => r.digest === layer.digest);
      expect(layerGets.length).toBeGreaterThanOrEqual(2);
      expect(layerGets[0]?.range).toBeUndefined();
      const from = Number(/^bytes=(\d+)-$/.exec(layerGets[1]?.range ?? "")?.[1]);
      expect(from).toBeGreaterThan(0);
      expect(from).toBeLessThanOrEqual(200_000);
      expect(await readFile(join(storeDir, "blobs/sha256", hexOf(layer.digest)))).toEqual(layer.bytes);
      expect(await readdir(join(storeDir, "blobs/partial"))).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it("a kept partial blob that is not a prefix of the blob is fetched again from its first byte", async () => {
    const image = await buildImage([bigLayer("f", 200_000)]);
    const layer = image.layers[0];
    if (!layer) throw new Error("no layer");
    await pushImage(registry.host, "grove/badpartial", "v1", [image]);
    const storeDir = join(store.dir, "badpartial");
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(join(storeDir, "blobs/partial"), { recursive: true });
    await writeFile(join(storeDir, "blobs/partial", hexOf(layer.digest)), randomBytes(1000));
    const proxy = await watchingProxy(registry);
    try {
      await createImages({ storeDir }).pull({ uri: `docker://${proxy.host}/grove/badpartial#v1` });
      const gets = proxy.traffic.requests.filter((r) => r.digest === layer.digest);
      expect(gets.map((r) => r.range)).toEqual(["bytes=1000-", undefined]);
      expect(await readFile(join(storeDir, "blobs/sha256", hexOf(layer.digest)))).toEqual(layer.bytes);
    } finally {
      await proxy.stop();
    }
  });

  it("past its size limit the store removes unused entries least recently used first, never what a container or a pull under way uses", {
    timeout: 180_000,
  }, async () => {
    // a store of its own per attempt: a retry must not find the first attempt's container and images
    const storeDir = join(store.dir, `lru-${randomBytes(4).toString("hex")}`);
    const built: Record<string, BuiltImage> = {};
    for (const [name, bytes] of [
      ["a", 300_000],
      ["b", 300_000],
      ["c", 300_000],
      ["d", 50_000],
    ] as const) {
      built[name] = await buildImage([bigLayer(`file-${name}`, bytes)]);
      await pushImage(registry.host, `grove/lru-${name}`, "v1", [built[name] as BuiltImage]);
    }
    const proxy = await watchingProxy(registry);
    const uri = (name: string) => `docker://${proxy.host}/grove/lru-${name}#v1`;
    const unlimited = createImages({ storeDir });
    const handle = `lru-${process.pid}`;
    try {
      const info = await unlimited.create({ handle, image: { uri: uri("a") }, uidMapping: MAPPING });
      await unlimited.pull({ uri: uri("b") });
      await unlimited.pull({ uri: uri("c") });
      const before = await storeEntries(storeDir);
      const inUse = before.filter((e) => e.key.startsWith("shifted/"));
      expect(inUse).toHaveLength(1);
      const byAge = [...before].sort((x, y) => x.lastUsed - y.lastUsed);
      // c's entries (its unpacked image, config and layer blobs) were used last, in whichever order
      // the unpack and the blob reads left their times
      const cHexes = [built.c?.config, ...(built.c?.layers ?? [])].map((b) => hexOf(b?.digest ?? ""));
      for (const e of byAge.slice(-3)) {
        expect(e.key.startsWith("images/") || cHexes.some((h) => e.key.endsWith(h)), e.key).toBe(true);
      }
      const newest = byAge.at(-1)?.key;
      const limit = [...inUse, ...byAge.slice(-3)].reduce((sum, e) => sum + e.bytes, 0);

      // a collection asked for while a pull is under way waits for it, and leaves what it pulled
      const limited = createImages({ storeDir, maxStoreBytes: limit });
      proxy.slow = 100;
      const order: string[] = [];
      const pulling = limited.pull({ uri: uri("d") }).then(() => order.push("pulled"));
      const dLayer = built.d?.layers[0]?.digest ?? "";
      while ((proxy.traffic.sent.get(dLayer) ?? 0) === 0) await new Promise((r) => setTimeout(r, 10));
      const collected = await limited.collect().then((c) => {
        order.push("collected");
        return c;
      });
      await pulling;
      expect(order).toEqual(["pulled", "collected"]);

      const after = (await storeEntries(storeDir)).map((e) => e.key);
      expect(after).toContain(inUse[0]?.key);
      // a's unshifted image and blobs and all of b went; c's newest entry and all of d stayed
      for (const e of byAge.slice(0, -3)) {
        if (e.key !== inUse[0]?.key) expect(collected.removed).toContain(e.key);
      }
      expect(after).toContain(newest);
      const dHexes = [built.d?.config, ...(built.d?.layers ?? [])].map((b) => hexOf(b?.digest ?? ""));
      for (const h of dHexes) expect(after.some((k) => k.endsWith(h))).toBe(true);
      expect(collected.removed).not.toContain(inUse[0]?.key);
      // the container still reads its image
      expect((await stat(join(info.path, "file-a"))).size).toBe(400_000);
      // a removed image is pulled again when wanted
      await limited.pull({ uri: uri("b") });
    } finally {
      await unlimited.destroy(handle).catch(() => undefined);
      await proxy.stop();
    }
  });
});
