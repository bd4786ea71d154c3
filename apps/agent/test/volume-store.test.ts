import { access, chmod, stat } from "node:fs/promises";
import { join } from "node:path";
import { createGarden, type Garden, removeCgroupTree } from "@grove/garden";
import { createImages, isMountPoint, loopDevicesFor, VCAP_ID } from "@grove/images";
import { describeWith, it, makeTempDir, type TempDir, uniqueName } from "@grove/testkit";
import pino from "pino";
import { afterEach, beforeEach, expect } from "vitest";
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
      expect(await loopDevicesFor(image)).toHaveLength(1);
      await store.remove("gone");
      expect(await isMountPoint(dir)).toBe(false);
      expect(await loopDevicesFor(image)).toEqual([]);
      await expect(access(image)).rejects.toThrow();
      expect(await store.ids()).toEqual([]);
      await expect(store.ensure("../x", 4)).rejects.toThrow(/invalid volume id/);
    });
  },
);
