import { access, chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { createGarden, type Garden, removeCgroupTree } from "@grove/garden";
import { createImages, isMountPoint, loopDevicesFor, VCAP_ID } from "@grove/images";
import { describeWith, it, makeTempDir, type TempDir, uniqueName } from "@grove/testkit";
import { execa } from "execa";
import pino from "pino";
import { afterEach, beforeEach, expect, onTestFinished } from "vitest";
import { VolumeStore } from "../src/volume-store";

const log = pino({ level: "silent" });
const HOST_ROOT = 100000;

describeWith(
  ["root", "runc"],
  "volume store: ext4 images on loop devices, bind-mounted into containers",
  () => {
    let temp: TempDir;
    let garden: Garden;
    let cgroupParent: string;
    const stores: VolumeStore[] = [];
    const openStore = async () => {
      const store = new VolumeStore({ dir: join(temp.path, "volumes"), ownerId: HOST_ROOT + VCAP_ID, log });
      await store.open();
      stores.push(store);
      return store;
    };

    beforeEach(async () => {
      temp = await makeTempDir("gvol-");
      await chmod(temp.path, 0o755);
      cgroupParent = uniqueName("grove-vol", 30);
      garden = await createGarden(
        {
          depotDir: join(temp.path, "depot"),
          runtimeRoot: join(temp.path, "runc"),
          cgroupParent,
          binDir: join("/tmp", `grove-monitor-bin-${process.getuid?.() ?? 0}`),
          uidMapping: { hostId: HOST_ROOT, size: 65536 },
          bindMountSourceRoots: [join(temp.path, "volumes", "mounts")],
          logger: log,
        },
        { volumizer: createImages({ storeDir: join(temp.path, "images") }) },
      );
    });

    afterEach(async () => {
      // containers first (they hold the mounts), then every volume's mount and loop device
      for (const container of await garden.containers({}, { includeIncomplete: true }).catch(() => [])) {
        await garden.destroy(container.handle).catch(() => {});
      }
      await garden.close().catch(() => {});
      for (const store of stores.splice(0)) await store.detachAll().catch(() => {});
      await removeCgroupTree(`/${cgroupParent}`).catch(() => {});
      await temp.remove();
    });

    const sh = async (handle: string, script: string, source: string) => {
      const container = await garden.create({
        handle,
        bindMounts: [{ srcPath: source, dstPath: "/data", mode: "rw", origin: "host" }],
      });
      const process = await container.run({ path: "sh", args: ["-c", script], user: "vcap" });
      const chunks: Buffer[] = [];
      const errs: Buffer[] = [];
      process.stdout().on("data", (chunk: Buffer) => chunks.push(chunk));
      process.stderr().on("data", (chunk: Buffer) => errs.push(chunk));
      const exitCode = await process.wait();
      await garden.destroy(handle);
      return { exitCode, stdout: Buffer.concat(chunks).toString(), stderr: Buffer.concat(errs).toString() };
    };

    it("lets vcap write without chmod, keeps data across containers and a reattach, refuses writes past the size", async () => {
      const store = await openStore();
      const dir = await store.ensure("v1", 8);
      expect((await stat(dir)).uid).toBe(HOST_ROOT + VCAP_ID);
      expect((await stat(join(temp.path, "volumes", "images"))).mode & 0o777).toBe(0o700);
      // the loop device has no writeback throttling of its own (a kernel without any has no file)
      const [loop = ""] = await loopDevicesFor(join(temp.path, "volumes", "images", "v1.ext4"));
      const wbt = await readFile(`/sys/block/${basename(loop)}/queue/wbt_lat_usec`, "utf8").catch(() => "0");
      expect(wbt.trim()).toBe("0");

      const wrote = await sh("w", "id -un; echo visits=1 > /data/count", dir);
      expect(wrote).toMatchObject({ exitCode: 0, stdout: "vcap\n" });

      // a cell reboot or agent restart: nothing mounted, no loop device; a new store reattaches
      await store.detachAll();
      expect(await isMountPoint(dir)).toBe(false);
      const image = join(temp.path, "volumes", "images", "v1.ext4");
      expect(await loopDevicesFor(image)).toEqual([]);
      const again = await openStore();
      expect(await again.reattach()).toEqual(["v1"]);
      expect(await isMountPoint(dir)).toBe(true);
      expect(await again.ensure("v1", 8)).toBe(dir);
      expect((await sh("r", "cat /data/count", dir)).stdout).toBe("visits=1\n");

      const filled = await sh("fill", "dd if=/dev/zero of=/data/big bs=1M count=64 2>&1; echo rc=$?", dir);
      expect(filled.stdout).toMatch(/No space left on device/);
      expect(filled.stdout).toMatch(/rc=1/);
      // the host filesystem is untouched and the volume still serves reads
      expect((await sh("r2", "cat /data/count", dir)).stdout).toBe("visits=1\n");
    });

    it("remove unmounts, detaches the loop device and deletes the image", async () => {
      const store = await openStore();
      const dir = await store.ensure("gone", 4);
      const image = join(temp.path, "volumes", "images", "gone.ext4");
      const [device] = await loopDevicesFor(image);
      expect(device).toBeDefined();
      const throttling = `/sys/block/${basename(device as string)}/queue/wbt_lat_usec`;
      expect((await readFile(throttling, "utf8")).trim()).toBe("0");
      await store.remove("gone");
      expect(await isMountPoint(dir)).toBe(false);
      expect(await loopDevicesFor(image)).toEqual([]);
      // the device outlives the volume: the kernel's own throttling is back for its next user
      expect((await readFile(throttling, "utf8")).trim()).not.toBe("0");
      await expect(access(image)).rejects.toThrow();
      expect(await store.ids()).toEqual([]);
      await expect(store.ensure("../x", 4)).rejects.toThrow(/invalid volume id/);
    });

    // debugfs edits stand for what a crash leaves in a filesystem without a journal
    const debugfs = (image: string, request: string) => execa("debugfs", ["-w", "-R", request, image]);
    const features = async (image: string) =>
      /^Filesystem features:\s+(.*)$/m.exec((await execa("dumpe2fs", ["-h", image])).stdout)?.[1] ?? "";

    it("makes volumes without a journal and checks each before it mounts: what a crash left is repaired", async () => {
      const store = await openStore();
      const images = join(temp.path, "volumes", "images");
      for (const id of ["crashed", "tangled"]) {
        const dir = await store.ensure(id, 16);
        await writeFile(join(dir, "count"), "visits=1\n");
        await writeFile(join(dir, "other"), "other\n");
      }
      await store.detachAll();
      expect(await features(join(images, "crashed.ext4"))).not.toMatch(/has_journal/);
      // not cleanly unmounted, with a wrong link count (e2fsck -p fixes it) and, in the other, a
      // block claimed by two files (e2fsck -p stops: only e2fsck -fy fixes it)
      await debugfs(join(images, "crashed.ext4"), "sif /count links_count 5");
      const block = (
        await execa("debugfs", ["-R", "bmap /count 0", join(images, "tangled.ext4")])
      ).stdout.trim();
      await debugfs(join(images, "tangled.ext4"), `sif /other bmap[0] ${block}`);
      for (const id of ["crashed", "tangled"]) await debugfs(join(images, `${id}.ext4`), "ssv state 0");

      const again = await openStore();
      expect((await again.reattach()).sort()).toEqual(["crashed", "tangled"]);
      const mounts = join(temp.path, "volumes", "mounts");
      expect(await readFile(join(mounts, "crashed", "count"), "utf8")).toBe("visits=1\n");
      expect(await readFile(join(mounts, "tangled", "count"), "utf8")).toBe("visits=1\n");
      await again.detachAll();
      for (const id of ["crashed", "tangled"]) {
        const check = await execa("e2fsck", ["-f", "-n", join(images, `${id}.ext4`)], { reject: false });
        expect(check.exitCode, `${id}: ${check.stdout}`).toBe(0);
      }
    });

    it("attaches a volume made before, with a journal and fast commits, as it is", async () => {
      const images = join(temp.path, "volumes", "images");
      const image = join(images, "old.ext4");
      await mkdir(images, { recursive: true });
      await execa("truncate", ["-s", "64M", image]);
      await execa("mkfs.ext4", [
        "-q",
        "-F",
        "-m",
        "0",
        "-O",
        "fast_commit",
        "-E",
        "nodiscard",
        "-b",
        "4096",
        image,
      ]);
      const made = join(temp.path, "made");
      await mkdir(made);
      await execa("mount", ["-o", "loop", image, made]);
      onTestFinished(() => execa("umount", [made], { reject: false }).then(() => undefined));
      await writeFile(join(made, "count"), "visits=7\n");
      await execa("umount", [made]);

      const store = await openStore();
      expect(await store.reattach()).toEqual(["old"]);
      const dir = await store.ensure("old", 60);
      expect(await readFile(join(dir, "count"), "utf8")).toBe("visits=7\n");
      expect(await features(image)).toMatch(/has_journal/);
    });
  },
);
