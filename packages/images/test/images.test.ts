import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createImages,
  DiskLimitTooSmall,
  type Images,
  InvalidImage,
  loopDevicesFor,
  StoreNotReachable,
} from "../src/index";
import { loopDevicesUnder, mountedUnder, requireRoot, tempStore } from "./helpers";

const isRoot = requireRoot();
const MAPPING = { hostId: 100000, size: 65536 };

describe.runIf(isRoot)("createImages: overlay rootfs per container", () => {
  let store: Awaited<ReturnType<typeof tempStore>>;
  let images: Images;
  let layersDir: string;
  const created = new Set<string>();
  let seq = 0;
  const handle = () => {
    const h = `c${process.pid}-${++seq}`;
    created.add(h);
    return h;
  };

  beforeAll(async () => {
    store = await tempStore("images");
    images = createImages({ storeDir: store.dir });
    layersDir = await mkdtemp(join(tmpdir(), "grove-img-layers-"));
  });
  afterEach(async () => {
    for (const h of created) await images.destroy(h).catch(() => undefined);
    created.clear();
  });
  afterAll(async () => {
    await store.cleanup();
    await rm(layersDir, { recursive: true, force: true });
  });

  it("mounts the default stack and puts writes in the upper dir, leaving the base untouched", async () => {
    const h = handle();
    const { path } = await images.create({ handle: h, image: { uri: "" }, uidMapping: null });
    expect(await mountedUnder(path)).toContain(path);
    await writeFile(join(path, "etc/hostname"), "changed\n");
    await writeFile(join(path, "tmp/new-file"), "hello");
    const record = await images.inspect(h);
    if (!record) throw new Error("no record");
    expect(await readFile(join(record.upperDir, "tmp/new-file"), "utf8")).toBe("hello");
    expect(await readFile(join(record.upperDir, "etc/hostname"), "utf8")).toBe("changed\n");
    const base = record.lowerDirs[0] ?? "";
    expect(await readFile(join(base, "etc/hostname"), "utf8")).toBe("localhost\n");
    await expect(stat(join(base, "tmp/new-file"))).rejects.toThrow(/ENOENT/);
  });

  it("shifts ownership of base layers into the mapped range, keeping setuid bits and symlinks", async () => {
    const layer = join(layersDir, "suid-layer");
    await mkdir(join(layer, "bin"), { recursive: true });
    await writeFile(join(layer, "bin/suid-tool"), "#!/bin/sh\n");
    await chmod(join(layer, "bin/suid-tool"), 0o4755);
    const h = handle();
    const { path } = await images.create({
      handle: h,
      image: { uri: "" },
      layers: [layer],
      uidMapping: MAPPING,
    });
    const busybox = await stat(join(path, "bin/busybox"));
    expect([busybox.uid, busybox.gid]).toEqual([100000, 100000]);
    const home = await stat(join(path, "home/vcap"));
    expect([home.uid, home.gid]).toEqual([102000, 102000]);
    const { stdout } = await execa("stat", ["-c", "%u:%g %a", join(path, "bin/suid-tool")]);
    expect(stdout).toBe("100000:100000 4755");
    const { stdout: linkOwner } = await execa("stat", ["-c", "%u %F", join(path, "bin/sh")]);
    expect(linkOwner).toBe("100000 symbolic link");
    const root = await stat(path);
    expect(root.uid).toBe(100000);
    // the source layer itself stays owned by host root
    expect((await stat(join(layer, "bin/suid-tool"))).uid).toBe(0);
  });

  it("gives two containers with the same mapping the same lower dirs (no copy per container)", async () => {
    const a = handle();
    const b = handle();
    await images.create({ handle: a, image: { uri: "" }, uidMapping: MAPPING });
    await images.create({ handle: b, image: { uri: "" }, uidMapping: MAPPING });
    const ra = await images.inspect(a);
    const rb = await images.inspect(b);
    expect(ra?.lowerDirs).toEqual(rb?.lowerDirs);
    expect(ra?.upperDir).not.toBe(rb?.upperDir);
    const privileged = handle();
    await images.create({ handle: privileged, image: { uri: "" }, uidMapping: null });
    expect((await images.inspect(privileged))?.lowerDirs).not.toEqual(ra?.lowerDirs);
  });

  it("builds a shared shifted layer once when several containers are created at the same time", async () => {
    const mapping = { hostId: 200000, size: 65536 };
    const handles = [handle(), handle(), handle(), handle()];
    await Promise.all(
      handles.map((h) => images.create({ handle: h, image: { uri: "" }, uidMapping: mapping })),
    );
    const lowers = await Promise.all(handles.map(async (h) => (await images.inspect(h))?.lowerDirs));
    for (const lower of lowers) expect(lower).toEqual(lowers[0]);
    const shifted = (await readdir(join(store.dir, "shifted"))).filter((d) => d.endsWith("-200000-65536"));
    expect(shifted).toHaveLength(1);
    expect((await readdir(join(store.dir, "tmp"))).filter((d) => d.startsWith("shift-"))).toEqual([]);
  });

  it("stacks extra layers on the image in order, the last one on top", async () => {
    const low = join(layersDir, "low");
    const high = join(layersDir, "high");
    await mkdir(join(low, "app"), { recursive: true });
    await mkdir(join(high, "app"), { recursive: true });
    await writeFile(join(low, "app/a"), "low");
    await writeFile(join(low, "app/b"), "low");
    await writeFile(join(high, "app/b"), "high");
    await mkdir(join(high, "etc"), { recursive: true });
    await writeFile(join(high, "etc/hostname"), "from-layer\n");
    const { path } = await images.create({
      handle: handle(),
      image: { uri: "" },
      layers: [low, high],
      uidMapping: null,
    });
    expect(await readFile(join(path, "app/a"), "utf8")).toBe("low");
    expect(await readFile(join(path, "app/b"), "utf8")).toBe("high");
    expect(await readFile(join(path, "etc/hostname"), "utf8")).toBe("from-layer\n");
    expect((await stat(join(path, "bin/busybox"))).isFile()).toBe(true);
  });

  it("mounts nosuid, reading a layer kept under a directory only root can traverse", async () => {
    const hidden = join(layersDir, "root-only");
    const layer = join(hidden, "bits");
    await mkdir(join(layer, "app"), { recursive: true });
    await chmod(hidden, 0o700);
    await writeFile(join(layer, "app/index.html"), "bits");
    await chmod(join(layer, "app/index.html"), 0o644);
    const { path } = await images.create({
      handle: handle(),
      image: { uri: "" },
      layers: [layer],
      uidMapping: null,
    });
    const mountinfo = (await readFile("/proc/self/mountinfo", "utf8")).split("\n");
    const line = mountinfo.find((l) => l.split(" ")[4] === path) ?? "";
    expect(line.split(" ")[5]?.split(",")).toContain("nosuid");
    // overlay reaches its lower dirs with the mounter's credentials: another user reads through it
    const { stdout } = await execa("runuser", ["-u", "nobody", "--", "cat", join(path, "app/index.html")]);
    expect(stdout).toBe("bits");
    await expect(execa("runuser", ["-u", "nobody", "--", "ls", hidden])).rejects.toThrow();
  });

  it("enforces a disk limit with ENOSPC and leaves no mount or loop device after destroy", async () => {
    const h = handle();
    const limit = 8 * 1024 * 1024;
    const { path } = await images.create({
      handle: h,
      image: { uri: "" },
      uidMapping: MAPPING,
      diskLimitBytes: limit,
    });
    const record = await images.inspect(h);
    expect(record?.diskImage).toBeDefined();
    expect(await loopDevicesUnder(store.dir)).toHaveLength(1);
    // the loop device reads its image with direct I/O (no second copy in the host's page cache),
    // and ext4 makes fsyncs fast commits
    const [device] = await loopDevicesFor(record?.diskImage ?? "");
    expect(await readFile(`/sys/block/${basename(device ?? "")}/loop/dio`, "utf8")).toBe("1\n");
    const { stdout: header } = await execa("dumpe2fs", ["-h", record?.diskImage ?? ""]);
    expect(header).toMatch(/^Filesystem features:.*\bfast_commit\b/m);
    // read from the scratch filesystem's own counters: an empty one shows next to nothing used
    expect((await images.metrics(h)).bytesUsed).toBeLessThan(256 * 1024);
    const dd = await execa("dd", ["if=/dev/zero", `of=${join(path, "tmp/big")}`, "bs=1M", "count=20"], {
      reject: false,
    });
    expect(dd.exitCode).not.toBe(0);
    expect(dd.stderr).toMatch(/No space left on device/);
    const usage = await images.metrics(h);
    expect(usage.bytesUsed).toBeGreaterThan(4 * 1024 * 1024);
    expect(usage.bytesUsed).toBeLessThanOrEqual(limit);
    expect(usage.inodesUsed).toBeGreaterThanOrEqual(2);
    await images.destroy(h);
    expect(await mountedUnder(store.dir)).not.toContain(path);
    expect(await mountedUnder(join(store.dir, "containers", h))).toEqual([]);
    expect(await loopDevicesUnder(store.dir)).toEqual([]);
    await expect(stat(join(store.dir, "containers", h))).rejects.toThrow(/ENOENT/);
  });

  it("destroys a rootfs a process still holds, releasing the loop device once that process exits", async () => {
    const h = handle();
    const { path } = await images.create({
      handle: h,
      image: { uri: "" },
      uidMapping: null,
      diskLimitBytes: 4 << 20,
    });
    const holder = execa("sleep", ["30"], { cwd: join(path, "tmp"), reject: false });
    try {
      await images.destroy(h);
      expect(await mountedUnder(join(store.dir, "containers", h))).toEqual([]);
      await expect(stat(join(store.dir, "containers", h))).rejects.toThrow(/ENOENT/);
    } finally {
      holder.kill("SIGKILL");
      await holder;
    }
    const deadline = Date.now() + 10_000;
    while ((await loopDevicesUnder(store.dir)).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await loopDevicesUnder(store.dir)).toEqual([]);
  });

  it("reports bytes and inodes written into the writable layer, and the image's beneath", async () => {
    const h = handle();
    const { path } = await images.create({ handle: h, image: { uri: "" }, uidMapping: null });
    const fresh = await images.metrics(h);
    expect(fresh).toMatchObject({ bytesUsed: 0, inodesUsed: 0 });
    // the default stack's busybox alone is over a MiB
    expect(fresh.image.bytesUsed).toBeGreaterThan(1024 * 1024);
    expect(fresh.image.inodesUsed).toBeGreaterThan(10);
    await writeFile(join(path, "tmp/one-mib"), Buffer.alloc(1024 * 1024, 1));
    const usage = await images.metrics(h);
    expect(usage.bytesUsed).toBeGreaterThanOrEqual(1024 * 1024);
    expect(usage.inodesUsed).toBe(2);
    expect(usage.image).toEqual(fresh.image);
    expect(await images.metrics("no-such-handle")).toMatchObject({ bytesUsed: 0, inodesUsed: 0 });
  });

  it("counts the image against a limit of scope total, and refuses one the image alone fills", async () => {
    const h = handle();
    const imageBytes = (await images.metrics(h)).image.bytesUsed;
    const probe = handle();
    await images.create({ handle: probe, image: { uri: "" }, uidMapping: null });
    const stackBytes = (await images.metrics(probe)).image.bytesUsed;
    expect(imageBytes).toBe(0);
    await expect(
      images.create({
        handle: h,
        image: { uri: "" },
        uidMapping: null,
        diskLimitBytes: stackBytes,
        diskLimitScope: "total",
      }),
    ).rejects.toBeInstanceOf(DiskLimitTooSmall);
    expect(await images.inspect(h)).toBeUndefined();
    const { path } = await images.create({
      handle: h,
      image: { uri: "" },
      uidMapping: null,
      diskLimitBytes: stackBytes + 4 * 1024 * 1024,
      diskLimitScope: "total",
    });
    const dd = await execa("dd", ["if=/dev/zero", `of=${join(path, "tmp/big")}`, "bs=64k", "count=160"], {
      reject: false,
    });
    expect(dd.stderr).toMatch(/No space left on device/);
    const { bytesUsed } = await images.metrics(h);
    expect(bytesUsed).toBeGreaterThan(3 * 1024 * 1024);
    expect(bytesUsed).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it("survives a restart: a new instance returns the existing rootfs and can destroy it", async () => {
    const h = handle();
    const first = await images.create({
      handle: h,
      image: { uri: "" },
      uidMapping: MAPPING,
      diskLimitBytes: 4 << 20,
    });
    await writeFile(join(first.path, "tmp/keep"), "kept");
    const restarted = createImages({ storeDir: store.dir });
    expect(await restarted.handles()).toContain(h);
    const again = await restarted.create({ handle: h, image: { uri: "" }, uidMapping: MAPPING });
    expect(again.path).toBe(first.path);
    expect(await readFile(join(again.path, "tmp/keep"), "utf8")).toBe("kept");
    await restarted.destroy(h);
    expect(await mountedUnder(join(store.dir, "containers", h))).toEqual([]);
    expect(await loopDevicesUnder(store.dir)).toEqual([]);
    await restarted.destroy(h);
  });

  it("remounts a rootfs whose mounts are gone (host reboot) from its record", async () => {
    const h = handle();
    const first = await images.create({
      handle: h,
      image: { uri: "" },
      uidMapping: null,
      diskLimitBytes: 4 << 20,
    });
    await writeFile(join(first.path, "tmp/keep"), "kept");
    const record = await images.inspect(h);
    await execa("umount", [first.path]);
    await execa("umount", [join(record?.upperDir ?? "", "..")]);
    expect(await mountedUnder(join(store.dir, "containers", h))).toEqual([]);
    const again = await images.create({ handle: h, image: { uri: "" }, uidMapping: null });
    expect(await readFile(join(again.path, "tmp/keep"), "utf8")).toBe("kept");
  });

  it("rejects unknown schemes and missing paths with InvalidImage and leaves nothing behind", async () => {
    const h = handle();
    await expect(
      images.create({ handle: h, image: { uri: "ftp://x/y" }, uidMapping: null }),
    ).rejects.toBeInstanceOf(InvalidImage);
    await expect(
      images.create({ handle: h, image: { uri: "/does/not/exist" }, uidMapping: null }),
    ).rejects.toBeInstanceOf(InvalidImage);
    await expect(
      images.create({ handle: h, image: { uri: "" }, layers: ["/does/not/exist"], uidMapping: null }),
    ).rejects.toBeInstanceOf(InvalidImage);
    await expect(stat(join(store.dir, "containers", h))).rejects.toThrow(/ENOENT/);
  });

  it("refuses a mapped rootfs under a directory the container root could not traverse", async () => {
    const closed = await mkdtemp(join(tmpdir(), "grove-img-closed-"));
    try {
      await chmod(closed, 0o700);
      const hidden = createImages({ storeDir: join(closed, "store") });
      const h = handle();
      await expect(
        hidden.create({ handle: h, image: { uri: "" }, uidMapping: MAPPING }),
      ).rejects.toBeInstanceOf(StoreNotReachable);
      await hidden.destroy(h);
    } finally {
      await rm(closed, { recursive: true, force: true });
    }
  });

  it("treats destroying an unknown handle as done", async () => {
    await images.destroy("never-created");
  });

  it("uses a rootfs directory given by absolute path as the image", async () => {
    const dir = join(layersDir, "plain-rootfs");
    await mkdir(join(dir, "etc"), { recursive: true });
    await writeFile(join(dir, "etc/os-release"), "ID=plain\n");
    const { path } = await images.create({ handle: handle(), image: { uri: dir }, uidMapping: MAPPING });
    expect(await readFile(join(path, "etc/os-release"), "utf8")).toBe("ID=plain\n");
    expect((await stat(join(path, "etc/os-release"))).uid).toBe(100000);
  });
});
