import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { basicAuthProxy, startRegistry, watchingProxy } from "@grove/images/testing";
import { describeWith, it, makeTempDir } from "@grove/testkit";
import { execa } from "execa";
import { expect, onTestFinished } from "vitest";
import { eventually, expectStatus, httpGet, startCluster } from "./cluster-harness";
import { groveCli } from "./grove-cli";

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

// The docker-app tour of issue 15 on a real cell and router, through the `grove` binary.
describeWith(
  ["root", "runc", "postgres", "nats", "network", "registry"],
  "docker apps on a real cell",
  () => {
    it("`grove push web --image` of an image built into a private local registry shows its pull progress as it goes, is served through the router, and a re-push runs a moved tag's new digest", {
      timeout: 300_000,
    }, async ({ pg, nats }) => {
      const registry = await startRegistry();
      onTestFinished(() => registry.stop());
      // the cell pulls through a proxy that can hold blob downloads at a chosen byte, so the push
      // sees the pull midway, behind one that wants basic auth (a private repo)
      const proxy = await watchingProxy(registry);
      onTestFinished(() => proxy.stop());
      const privateRegistry = await basicAuthProxy(proxy, "team", "s3cret-pw");
      onTestFinished(() => privateRegistry.stop());
      await buildWebImage(registry.host, "team/web", "live", "one\n");
      // regular heartbeats only every 10 min: pull progress must come on its own
      const c = await startCluster(pg, nats, {
        cellCount: 1,
        heartbeatMs: 600_000,
        presenceTtlMs: 1_800_000,
      });
      const api = await c.t.serveHttp();
      const home = await makeTempDir("grove-docker-tour-");
      onTestFinished(() => home.remove());
      const run = groveCli(api, home.path);
      const grove = async (args: string[], env: Record<string, string> = {}) => {
        const done = await run(args, env);
        expect(done.out, "credentials never printed").not.toContain("s3cret-pw");
        return done;
      };
      const ref = `${privateRegistry.host}/team/web:live`;

      const refused = await grove(["push", "web", "--image", ref, "--memory", "64M"]);
      expect(refused.exitCode, refused.out).not.toBe(0);
      expect(refused.out).toMatch(/registry refused access .*\(401\).*--registry-username/);

      proxy.holdAt = 1_000_000;
      onTestFinished(() => {
        proxy.holdAt = 0;
      });
      const pushing = run.start([
        "push",
        "web",
        "--image",
        ref,
        "--memory",
        "64M",
        "--timeout",
        "270",
        "--registry-username",
        "team",
        "--registry-password",
        "s3cret-pw",
      ]);
      onTestFinished(() => pushing.kill());
      // the pull held at 1 MB, then at 2 MB (of about 4 MB): each figure reaches the api and is
      // printed by the waiting push, long before a regular heartbeat could carry it
      const printedPercents = () =>
        [
          ...pushing
            .printed()
            .matchAll(/instance 0: STARTING on \S+, pulling image [\d.]+ \S+ of [\d.]+ MB \((\d+)%\)/g),
        ].map((m) => Number(m[1]));
      for (const held of [1_000_000, 2_000_000]) {
        proxy.holdAt = held;
        const pull = await eventually(
          async () => {
            // the app exists once the push has resolved the image
            const shown = (await c.instances("web").catch(() => []))[0]?.pull;
            return shown && shown.bytes >= held && shown.bytes < shown.total ? shown : undefined;
          },
          120_000,
          `the api to show the pull at ${held} bytes`,
        );
        const percent = Math.floor((100 * held) / pull.total);
        await eventually(
          async () => printedPercents().some((p) => p >= percent && p < 100),
          60_000,
          `the push to print the pull at ${percent}% or more`,
        ).catch((error: Error) => {
          throw new Error(`${error.message}; it printed: ${pushing.printed()}`);
        });
      }
      proxy.holdAt = 0;
      const first = await pushing.done;
      expect(first.out, "credentials never printed").not.toContain("s3cret-pw");
      expect(first, first.out).toMatchObject({ exitCode: 0 });
      const firstDigest = /image \S+ is (sha256:[a-f0-9]{64})/.exec(first.out)?.[1];
      expect(firstDigest, first.out).toBeDefined();
      expect(new Set(printedPercents().filter((p) => p < 100)).size, first.out).toBeGreaterThanOrEqual(2);
      expect(first.out).toMatch(/web: revision \d+, 1\/1 instances running/);
      const served = await eventually(async () => {
        const res = await httpGet(c.router.port, "web.default.grove.localhost");
        return res.status === 200 ? res : undefined;
      });
      expect(served.body).toBe("one\n");

      // the tag moves to a new image; pushing again (credentials from the environment) runs the new digest
      await buildWebImage(registry.host, "team/web", "live", "two\n");
      const second = await grove(["push", "web", "--image", ref], {
        GROVE_REGISTRY_USERNAME: "team",
        GROVE_REGISTRY_PASSWORD: "s3cret-pw",
      });
      expect(second, second.out).toMatchObject({ exitCode: 0 });
      const secondDigest = /image \S+ is (sha256:[a-f0-9]{64})/.exec(second.out)?.[1];
      expect(secondDigest, second.out).toBeDefined();
      expect(secondDigest).not.toBe(firstDigest);
      await eventually(async () => {
        const res = await httpGet(c.router.port, "web.default.grove.localhost");
        return res.body === "two\n" ? res : undefined;
      }, 120_000);
      const shown = (await expectStatus(await c.call("/v1/apps/web"), 200)) as AppBody;
      expect(shown.image?.digest).toBe(secondDigest);
    });
  },
);
