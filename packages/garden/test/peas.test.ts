import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../src/index";
import {
  eventually,
  type GardenFixture,
  gardenFixture,
  minimalRootfs,
  readAll,
  runtimeAvailable,
  sh,
} from "./support";

describe.runIf(runtimeAvailable)("peas", () => {
  let fixture: GardenFixture;
  let container: Container;
  let peaImage: string;
  beforeAll(async () => {
    fixture = await gardenFixture();
    peaImage = await minimalRootfs(join(fixture.dir, "pea-rootfs"));
    container = await fixture.garden.create({ handle: "pod" });
    await sh(
      container,
      "mkdir -p /www && echo served-by-container > /www/index.html && touch /container-only",
    );
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  const runtimeIds = async () =>
    (await execa("runc", ["--root", fixture.config.runtimeRoot, "list", "-q"])).stdout
      .split("\n")
      .filter(Boolean);

  it("mounts a container-origin source from the container's rootfs, following links inside it only", async () => {
    const hostDir = await mkdtemp(join(fixture.bindsDir, "secret-"));
    await writeFile(join(hostDir, "secret"), "host secret\n");
    // a link in the container whose target is the host directory's path
    await sh(container, `mkdir -p ${hostDir} && echo inside > ${hostDir}/secret && ln -s ${hostDir} /link`);
    const pea = await container.run({
      path: "/bin/sh",
      args: ["-c", "cat /mnt/secret; echo x > /mnt/secret || echo read-only"],
      image: { uri: peaImage },
      bindMounts: [{ srcPath: "/link", dstPath: "/mnt", mode: "ro", origin: "container" }],
    });
    expect(await readAll(pea.stdout())).toBe("inside\nread-only\n");
    expect(await pea.wait()).toBe(0);
  });

  it("runs a pea with its own rootfs that shares the container's network, pids and hostname", async () => {
    const server = await container.run({ path: "httpd", args: ["-f", "-p", "8080", "-h", "/www"] });
    const pea = await container.run({
      id: "sidecar",
      path: "sh",
      args: [
        "-c",
        "wget -q -O - http://127.0.0.1:8080/; ps -o args | grep -q '^httpd -f' && echo sees-httpd; hostname; ls /container-only",
      ],
      image: { uri: peaImage },
    });
    expect(await runtimeIds()).toContain("pod-pea-sidecar");
    const [stdout, stderr, code] = await Promise.all([
      readAll(pea.stdout()),
      readAll(pea.stderr()),
      pea.wait(),
    ]);
    // busybox httpd forks per connection, so the count of httpd processes varies; seeing it is the point
    expect(stdout).toBe("served-by-container\nsees-httpd\npod\n");
    expect(stderr).toMatch(/container-only: No such file or directory/);
    expect(code).not.toBe(0);
    await server.signal("kill");
    // Once the pea has exited its runtime container and rootfs are removed.
    expect(await runtimeIds()).not.toContain("pod-pea-sidecar");
    expect(await fixture.images.inspect("pod-pea-sidecar")).toBeUndefined();
  });

  it("gives a pea a TTY and delivers signals to it", async () => {
    const tty = await container.run({
      path: "sh",
      args: ["-c", "stty size"],
      image: { uri: peaImage },
      tty: { windowSize: { columns: 90, rows: 20 } },
    });
    expect(await readAll(tty.stdout())).toBe("20 90\r\n");
    expect(await tty.wait()).toBe(0);
    const sleeper = await container.run({ path: "sleep", args: ["1000"], image: { uri: peaImage } });
    await sleeper.signal("terminate");
    expect(await sleeper.wait()).toBe(143);
  });

  it("is removed together with its container", async () => {
    const other = await fixture.garden.create({ handle: "pod2" });
    const pea = await other.run({ id: "long", path: "sleep", args: ["1000"], image: { uri: peaImage } });
    await eventually(async () => (await runtimeIds()).includes("pod2-pea-long"), 5_000, "pea running");
    expect((await other.info()).processIDs).toContain("long");
    await fixture.garden.destroy("pod2");
    expect(await runtimeIds()).not.toContain("pod2-pea-long");
    expect(await fixture.images.inspect("pod2-pea-long")).toBeUndefined();
    expect(pea.id).toBe("long");
  });
});
