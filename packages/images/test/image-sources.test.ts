import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createImages, type Images, InvalidArchive, InvalidImage } from "../src/index";
import { requireRoot, tempStore } from "./helpers";
import { type BuiltImage, blobOf, buildImage, buildIndex, writeOciLayout } from "./oci-fixture";
import { pushImage, startRegistry, type TestRegistry } from "./registry-fixture";
import type { Member } from "./tar-fixtures";
import { tarOf } from "./tar-fixtures";

const isRoot = requireRoot();
const MAPPING = { hostId: 100000, size: 65536 };

const LOWER: Member[] = [
  { name: "etc/", type: "directory" },
  { name: "etc/os-release", body: "ID=fixture\n" },
  { name: "etc/release-link", type: "symlink", linkname: "/etc/os-release" },
  { name: "a/x", body: "x" },
  { name: "a/y", body: "y" },
  { name: "b/z", body: "z" },
  { name: "c", body: "c" },
  { name: "home/app/", type: "directory", uid: 1000, gid: 1000 },
];
const UPPER: Member[] = [
  { name: ".wh.c", body: "" },
  { name: "a/.wh.x", body: "" },
  { name: "b/", type: "directory" },
  { name: "b/.wh..wh..opq", body: "" },
  { name: "b/new", body: "new" },
];
const CONFIG = { Env: ["PATH=/usr/bin:/bin", "GREETING=hello"], WorkingDir: "/home/app", User: "1000:1000" };

async function expectFixtureRootfs(path: string, shifted: boolean): Promise<void> {
  expect(await readFile(join(path, "etc/os-release"), "utf8")).toBe("ID=fixture\n");
  expect(await readlink(join(path, "etc/release-link"))).toBe("/etc/os-release");
  expect((await readdir(path)).sort()).toEqual(["a", "b", "etc", "home"]);
  expect(await readdir(join(path, "a"))).toEqual(["y"]);
  expect(await readdir(join(path, "b"))).toEqual(["new"]);
  const home = await stat(join(path, "home/app"));
  expect(home.uid).toBe(shifted ? 101000 : 1000);
}

describe.runIf(isRoot)("image sources", () => {
  let store: Awaited<ReturnType<typeof tempStore>>;
  let images: Images;
  let work: string;
  let image: BuiltImage;
  const created = new Set<string>();
  let seq = 0;
  const handle = () => {
    const h = `s${process.pid}-${++seq}`;
    created.add(h);
    return h;
  };

  beforeAll(async () => {
    store = await tempStore("sources");
    images = createImages({ storeDir: store.dir });
    work = await mkdtemp(join(tmpdir(), "grove-img-sources-"));
    image = await buildImage([LOWER, UPPER], CONFIG);
  });
  afterEach(async () => {
    for (const h of created) await images.destroy(h).catch(() => undefined);
    created.clear();
  });
  afterAll(async () => {
    await store.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  describe("oci:// layouts", () => {
    it("unpacks layers with whiteouts applied and returns the image config", async () => {
      const layout = join(work, "layout-tagged");
      await writeOciLayout(layout, [{ tag: "v1", image }]);
      const info = await images.create({
        handle: handle(),
        image: { uri: `oci://${layout}#v1` },
        uidMapping: MAPPING,
      });
      await expectFixtureRootfs(info.path, true);
      expect(info.env).toEqual(CONFIG.Env);
      expect(info.workingDir).toBe("/home/app");
      expect(info.user).toBe("1000:1000");
    });

    it("uses the only image of a layout when no tag is given, and refuses an unknown tag", async () => {
      const layout = join(work, "layout-untagged");
      await writeOciLayout(layout, [{ tag: "", image }]);
      const info = await images.create({
        handle: handle(),
        image: { uri: `oci://${layout}` },
        uidMapping: null,
      });
      await expectFixtureRootfs(info.path, false);
      await expect(
        images.create({ handle: handle(), image: { uri: `oci://${layout}#nope` }, uidMapping: null }),
      ).rejects.toBeInstanceOf(InvalidImage);
    });

    it("picks linux/amd64 from an index", async () => {
      const other = await buildImage([[{ name: "arm", body: "arm" }]]);
      const index = buildIndex([
        { image: other, os: "linux", architecture: "arm64" },
        { image, os: "linux", architecture: "amd64" },
      ]);
      const layout = join(work, "layout-index");
      await writeOciLayout(layout, [{ tag: "multi", image, index, extra: [other] }]);
      const info = await images.create({
        handle: handle(),
        image: { uri: `oci://${layout}#multi` },
        uidMapping: null,
      });
      await expectFixtureRootfs(info.path, false);
    });

    it("refuses a layer blob that does not match its digest", async () => {
      const layout = join(work, "layout-corrupt");
      const corrupt = await buildImage([[{ name: "f", body: "original" }]]);
      await writeOciLayout(layout, [{ tag: "v1", image: corrupt }]);
      const layer = corrupt.layers[0]?.digest.slice("sha256:".length) ?? "";
      await writeFile(join(layout, "blobs/sha256", layer), await tarOf([{ name: "f", body: "tampered" }]));
      const err = await images
        .create({ handle: handle(), image: { uri: `oci://${layout}#v1` }, uidMapping: null })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidImage);
      expect(String(err)).toMatch(/digest/);
    });
  });

  describe("rootfs tarballs", () => {
    it("uses a .tar.gz as a one-layer image", async () => {
      const tarball = join(work, "rootfs.tar.gz");
      await writeFile(tarball, await tarOf(LOWER, { gzip: true }));
      const info = await images.create({ handle: handle(), image: { uri: tarball }, uidMapping: MAPPING });
      expect(await readFile(join(info.path, "c"), "utf8")).toBe("c");
      expect((await stat(join(info.path, "etc/os-release"))).uid).toBe(100000);
    });

    it("refuses a tarball with an escaping member as an invalid image", async () => {
      const tarball = join(work, "evil.tar");
      await writeFile(tarball, await tarOf([{ name: "../../evil", body: "x" }]));
      await expect(
        images.create({ handle: handle(), image: { uri: tarball }, uidMapping: null }),
      ).rejects.toBeInstanceOf(InvalidImage);
    });
  });

  describe("docker:// registries", () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await startRegistry();
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it("pulls an image pushed over the Distribution API, verifying and caching blobs by digest", async () => {
      await pushImage(registry.host, "grove/fixture", "v1", [image]);
      const uri = `docker://${registry.host}/grove/fixture#v1`;
      const a = handle();
      const info = await images.create({ handle: a, image: { uri }, uidMapping: MAPPING });
      await expectFixtureRootfs(info.path, true);
      expect(info.env).toEqual(CONFIG.Env);
      expect(info.workingDir).toBe("/home/app");
      const cached = await readdir(join(store.dir, "blobs/sha256"));
      for (const layer of image.layers) expect(cached).toContain(layer.digest.slice("sha256:".length));
      const b = handle();
      await images.create({ handle: b, image: { uri }, uidMapping: MAPPING });
      expect((await images.inspect(b))?.lowerDirs).toEqual((await images.inspect(a))?.lowerDirs);
    });

    it("pulls an image that skopeo copied from an OCI layout", async () => {
      const layout = join(work, "layout-skopeo");
      await writeOciLayout(layout, [{ tag: "v2", image }]);
      await execa("skopeo", [
        "copy",
        "--quiet",
        `oci:${layout}:v2`,
        `docker://${registry.host}/grove/skopeo:v2`,
        "--dest-tls-verify=false",
      ]);
      const info = await images.create({
        handle: handle(),
        image: { uri: `docker://${registry.host}/grove/skopeo#v2` },
        uidMapping: null,
      });
      await expectFixtureRootfs(info.path, false);
      expect(info.user).toBe("1000:1000");
    });

    it("chooses linux/amd64 from an index in the registry", async () => {
      const other = await buildImage([[{ name: "arm", body: "arm" }]]);
      const index = buildIndex([
        { image: other, os: "linux", architecture: "arm64" },
        { image, os: "linux", architecture: "amd64" },
      ]);
      await pushImage(registry.host, "grove/multi", "latest", [other, image], index);
      const info = await images.create({
        handle: handle(),
        image: { uri: `docker://${registry.host}/grove/multi` },
        uidMapping: null,
      });
      await expectFixtureRootfs(info.path, false);
    });

    it("pulls zstd layers (decoded by Debian's zstd) beside gzip ones, whiteouts applied", async () => {
      const mixed = await buildImage([LOWER, UPPER], CONFIG, ["zstd", "gzip"]);
      expect(mixed.layers[0]?.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+zstd");
      expect(mixed.layers[0]?.bytes.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
      await pushImage(registry.host, "grove/zstd", "v1", [mixed]);
      const info = await images.create({
        handle: handle(),
        image: { uri: `docker://${registry.host}/grove/zstd#v1` },
        uidMapping: MAPPING,
      });
      await expectFixtureRootfs(info.path, true);
    });

    it("refuses a corrupt zstd layer, saying what zstd said, and leaves no half-unpacked rootfs", async () => {
      const good = await buildImage([[{ name: "f", body: "x".repeat(4096) }]], {}, ["zstd"]);
      const layer = good.layers[0];
      if (!layer) throw new Error("no layer");
      const bytes = Buffer.from(layer.bytes);
      bytes.writeUInt32LE(~bytes.readUInt32LE(bytes.length - 4) >>> 0, bytes.length - 4); // a wrong content checksum
      const broken = blobOf(bytes, layer.mediaType);
      const manifest = JSON.parse(good.manifest.bytes.toString()) as { layers: object[] };
      manifest.layers = [{ mediaType: broken.mediaType, digest: broken.digest, size: bytes.length }];
      const image: BuiltImage = {
        config: good.config,
        layers: [broken],
        manifest: blobOf(Buffer.from(JSON.stringify(manifest)), good.manifest.mediaType),
      };
      await pushImage(registry.host, "grove/zstd-bad", "v1", [image]);
      const before = await readdir(join(store.dir, "images")).catch(() => []);
      const err = await images
        .create({
          handle: handle(),
          image: { uri: `docker://${registry.host}/grove/zstd-bad#v1` },
          uidMapping: null,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArchive);
      expect(String(err)).toMatch(/zstd: .+/);
      expect(await readdir(join(store.dir, "images")).catch(() => [])).toEqual(before);
      expect((await readdir(join(store.dir, "tmp"))).filter((n) => n.startsWith("unpack-"))).toEqual([]);
    });

    it("reports an unknown tag as an invalid image", async () => {
      await expect(
        images.create({
          handle: handle(),
          image: { uri: `docker://${registry.host}/grove/fixture#missing` },
          uidMapping: null,
        }),
      ).rejects.toBeInstanceOf(InvalidImage);
    });
  });
});
