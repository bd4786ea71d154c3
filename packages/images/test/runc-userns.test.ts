import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImages, ensureNodeLayer, type Images } from "../src/index";
import { requireRoot, tempStore } from "./helpers";

const isRoot = requireRoot();
const MAPPING = { hostId: 100000, size: 65536 };

/** A minimal runc bundle: user namespace with the mapping, no /sys (sysfs needs a netns owner). */
async function writeBundle(bundle: string, rootfs: string, id: string, script: string): Promise<void> {
  await mkdir(bundle, { recursive: true });
  await execa("runc", ["spec", "--bundle", bundle]);
  const config = JSON.parse(await readFile(join(bundle, "config.json"), "utf8"));
  config.root = { path: rootfs, readonly: false };
  config.process.terminal = false;
  config.process.args = ["sh", "-c", script];
  config.linux.namespaces.push({ type: "user" });
  config.linux.uidMappings = [{ containerID: 0, hostID: MAPPING.hostId, size: MAPPING.size }];
  config.linux.gidMappings = [{ containerID: 0, hostID: MAPPING.hostId, size: MAPPING.size }];
  config.linux.cgroupsPath = `/${id}`;
  config.mounts = config.mounts
    .filter((m: { destination: string }) => m.destination !== "/sys")
    .map((m: { destination: string; options?: string[] }) =>
      m.destination === "/dev/pts" ? { ...m, options: m.options?.filter((o) => !o.startsWith("gid=")) } : m,
    );
  await writeFile(join(bundle, "config.json"), JSON.stringify(config));
}

describe.runIf(isRoot)("rootfs in a user-namespaced runc container", () => {
  let store: Awaited<ReturnType<typeof tempStore>>;
  let images: Images;
  let work: string;
  const id = `grove-img-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    store = await tempStore("runc");
    images = createImages({ storeDir: store.dir });
    work = await mkdtemp(join(tmpdir(), "grove-img-runc-"));
  });
  afterAll(async () => {
    await execa("runc", ["--root", join(work, "state"), "delete", "--force", id], { reject: false });
    await images.destroy(id).catch(() => undefined);
    const controllers = await readdir("/sys/fs/cgroup").catch(() => [] as string[]);
    for (const controller of controllers)
      await rmdir(join("/sys/fs/cgroup", controller, id)).catch(() => undefined);
    await store.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it("sees its files as root-owned, can write anywhere, and hits the disk limit", async () => {
    const { path } = await images.create({
      handle: id,
      image: { uri: "" },
      uidMapping: MAPPING,
      diskLimitBytes: 16 * 1024 * 1024,
    });
    const script = [
      "id -u",
      "stat -c %u:%g /bin/busybox /home/vcap",
      "echo written > /etc/new-file && cat /etc/new-file",
      "dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1 | grep -o 'No space left on device' | head -1",
    ].join("; ");
    await writeBundle(join(work, "bundle"), path, id, script);
    const result = await execa(
      "runc",
      ["--root", join(work, "state"), "run", "--bundle", join(work, "bundle"), id],
      {
        reject: false,
        stdin: "ignore",
      },
    );
    expect(result.stderr).toBe("");
    expect(result.stdout.split("\n")).toEqual([
      "0",
      "0:0",
      "2000:2000",
      "written",
      "No space left on device",
    ]);
    const record = await images.inspect(id);
    const written = await stat(join(record?.upperDir ?? "", "etc/new-file"));
    expect([written.uid, written.gid]).toEqual([100000, 100000]);
  });

  it("runs node from the node stack layer on top of the busybox stack", async () => {
    const nodeId = `${id}-node`;
    const layer = await ensureNodeLayer(store.dir);
    expect(layer.version).toMatch(/^node-v\d+\.\d+\.\d+-/);
    const { path } = await images.create({
      handle: nodeId,
      image: { uri: "" },
      layers: [layer.dir],
      uidMapping: MAPPING,
    });
    try {
      const bundle = join(work, "bundle-node");
      await writeBundle(bundle, path, nodeId, "node -e 'console.log(process.version, 6*7)'");
      const result = await execa("runc", ["--root", join(work, "state"), "run", "--bundle", bundle, nodeId], {
        reject: false,
        stdin: "ignore",
      });
      expect(result.stdout.trim()).toBe(`${process.version} 42`);
      expect(await ensureNodeLayer(store.dir)).toEqual(layer);
    } finally {
      await execa("runc", ["--root", join(work, "state"), "delete", "--force", nodeId], { reject: false });
      await images.destroy(nodeId);
      for (const controller of await readdir("/sys/fs/cgroup").catch(() => [] as string[]))
        await rmdir(join("/sys/fs/cgroup", controller, nodeId)).catch(() => undefined);
    }
  });

  it("resolves names and users inside the container (glibc NSS for the static busybox)", async () => {
    const nssId = `${id}-nss`;
    const { path } = await images.create({ handle: nssId, image: { uri: "" }, uidMapping: MAPPING });
    try {
      const bundle = join(work, "bundle-nss");
      const script = [
        "mkdir -p /tmp/www && echo served > /tmp/www/index.html",
        "httpd -p 127.0.0.1:8080 -h /tmp/www",
        "wget -q -O - http://localhost:8080/",
        "stat -c %U /home/vcap",
      ].join(" && ");
      await writeBundle(bundle, path, nssId, script);
      const result = await execa("runc", ["--root", join(work, "state"), "run", "--bundle", bundle, nssId], {
        reject: false,
        stdin: "ignore",
      });
      expect(result.stderr).toBe("");
      expect(result.stdout.split("\n")).toEqual(["served", "vcap"]);
    } finally {
      await execa("runc", ["--root", join(work, "state"), "delete", "--force", nssId], { reject: false });
      await images.destroy(nssId);
      for (const controller of await readdir("/sys/fs/cgroup").catch(() => [] as string[]))
        await rmdir(join("/sys/fs/cgroup", controller, nssId)).catch(() => undefined);
    }
  });
});
