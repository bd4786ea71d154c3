import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, watchingProxy } from "@grove/images/testing";
import { describeWith, it, makeTempDir } from "@grove/testkit";
import { execa } from "execa";
import { expect, onTestFinished } from "vitest";
import { eventually, expectStatus, httpGet, type InstanceView, startCluster } from "./cluster-harness";

interface AppBody {
  revision: number;
  image: { ref: string; digest: string } | null;
}

/**
 * Builds an image with umoci (busybox httpd serving `page` and a 3 MB file, run as uid 1000 on
 * port 8080) and copies it with skopeo to `docker://<registry>/<repo>:<tag>`.
 */
async function buildWebImage(registryHost: string, repo: string, tag: string, page: string): Promise<void> {
  const dir = await makeTempDir("grove-umoci-");
  onTestFinished(() => dir.remove());
  const layout = join(dir.path, "layout");
  const bundle = join(dir.path, "bundle");
  await execa("umoci", ["init", "--layout", layout]);
  await execa("umoci", ["new", "--image", `${layout}:web`]);
  await execa("umoci", ["unpack", "--image", `${layout}:web`, bundle]);
  const rootfs = join(bundle, "rootfs");
  await execa("mkdir", ["-p", join(rootfs, "bin"), join(rootfs, "www")]);
  await execa("cp", ["/bin/busybox", join(rootfs, "bin/busybox")]);
  await writeFile(join(rootfs, "www/index.html"), page);
  await execa("sh", ["-c", `head -c 3000000 /dev/urandom > ${join(rootfs, "www/blob.bin")}`]);
  await execa("umoci", ["repack", "--image", `${layout}:web`, bundle]);
  await execa("umoci", [
    "config",
    "--image",
    `${layout}:web`,
    "--config.entrypoint",
    "/bin/busybox",
    ...["httpd", "-f", "-p", "8080", "-h", "/www"].flatMap((arg) => ["--config.cmd", arg]),
    "--config.exposedports",
    "8080/tcp",
    "--config.user",
    "1000",
  ]);
  await execa("skopeo", [
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    `oci:${layout}:web`,
    `docker://${registryHost}/${repo}:${tag}`,
  ]);
}

// The docker-app tour of issue 15 on a real cell and router.
describeWith(
  ["root", "runc", "postgres", "nats", "network", "registry"],
  "docker apps on a real cell",
  () => {
    it("pushes an image built into a local registry, shows its pull progress, serves it through the router, and runs a moved tag's new digest on re-push", {
      timeout: 300_000,
    }, async ({ pg, nats }) => {
      const registry = await startRegistry();
      onTestFinished(() => registry.stop());
      // the cell pulls through a proxy that sends blobs slowly, so its heartbeats catch the pull midway
      const proxy = await watchingProxy(registry);
      onTestFinished(() => proxy.stop());
      proxy.slow = 40;
      await buildWebImage(registry.host, "team/web", "live", "one\n");
      const c = await startCluster(pg, nats, { cellCount: 1 });
      const ref = `${proxy.host}/team/web:live`;
      const first = (await expectStatus(
        await c.call("/v1/apps", { method: "POST", json: { name: "web", image: { ref }, memory_mb: 64 } }),
        201,
      )) as AppBody;
      const pulls: NonNullable<InstanceView["pull"]>[] = [];
      await eventually(async () => {
        const [instance] = await c.instances("web");
        if (instance?.pull) pulls.push(instance.pull);
        return instance?.state === "RUNNING" ? instance : undefined;
      }, 120_000);
      const midway = pulls.find((p) => p.total > 3_000_000 && p.bytes < p.total);
      expect(midway, `progress seen: ${JSON.stringify(pulls)}`).toBeDefined();
      const served = await eventually(async () => {
        const res = await httpGet(c.router.port, "web.default.grove.localhost");
        return res.status === 200 ? res : undefined;
      });
      expect(served.body).toBe("one\n");

      // the tag moves to a new image; pushing again runs the new digest
      proxy.slow = 0;
      await buildWebImage(registry.host, "team/web", "live", "two\n");
      const second = (await expectStatus(
        await c.call("/v1/apps/web", { method: "PATCH", json: { image: { ref } } }),
        200,
      )) as AppBody;
      expect(second.revision).toBe(first.revision + 1);
      expect(second.image?.digest).not.toBe(first.image?.digest);
      await eventually(async () => {
        const res = await httpGet(c.router.port, "web.default.grove.localhost");
        return res.body === "two\n" ? res : undefined;
      }, 120_000);
      const shown = (await expectStatus(await c.call("/v1/apps/web"), 200)) as AppBody;
      expect(shown.image?.digest).toBe(second.image?.digest);
    });
  },
);
