import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BindMountRefused,
  ContainerNotFound,
  GardenError,
  InvalidSpec,
  RuntimeFailed,
  ServiceUnavailable,
} from "../src/index";
import {
  eventually,
  exists,
  firstChunk,
  type GardenFixture,
  gardenFixture,
  readAll,
  runtimeAvailable,
  sh,
} from "./support";

describe.runIf(runtimeAvailable)("containers", () => {
  let fixture: GardenFixture;
  beforeAll(async () => {
    fixture = await gardenFixture({ maxContainers: 7, stopTimeoutMs: 1_500 });
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it("creates, lists by properties, looks up and destroys containers", async () => {
    const { garden } = fixture;
    await garden.create({ handle: "list-a", properties: { app: "web", tier: "1" } });
    await garden.create({ handle: "list-b", properties: { app: "web", tier: "2" } });
    const handles = async (filter?: Record<string, string>) =>
      (await garden.containers(filter)).map((container) => container.handle).sort();
    expect(await handles({ app: "web" })).toEqual(["list-a", "list-b"]);
    expect(await handles({ app: "web", tier: "2" })).toEqual(["list-b"]);
    expect(await handles({ app: "db" })).toEqual([]);
    expect((await garden.lookup("list-a")).handle).toBe("list-a");
    await garden.destroy("list-a");
    await garden.destroy("list-b");
    expect(await handles()).toEqual([]);
    await expect(garden.lookup("list-a")).rejects.toBeInstanceOf(ContainerNotFound);
    await expect(garden.destroy("list-a")).rejects.toBeInstanceOf(ContainerNotFound);
  });

  it("generates a handle when none is given and refuses a duplicate handle", async () => {
    const container = await fixture.garden.create({});
    expect(container.handle).toMatch(/^[0-9a-f]{16}$/);
    await expect(fixture.garden.create({ handle: container.handle })).rejects.toBeInstanceOf(InvalidSpec);
    await fixture.garden.destroy(container.handle);
  });

  it("destroy leaves no runtime container, cgroup, rootfs, process or depot entry behind", async () => {
    const container = await fixture.garden.create({
      handle: "leaves-nothing",
      limits: { memory: { limitInBytes: 64 << 20 } },
    });
    const sleeper = await container.run({ path: "sleep", args: ["1000"] });
    const info = await container.info();
    const rootfs = (await fixture.images.inspect("leaves-nothing"))?.rootfs as string;
    const cgroup = `/sys/fs/cgroup/memory/${fixture.config.cgroupParent}/leaves-nothing`;
    // on a hybrid host runc also makes the container's directory in the cgroup v2 hierarchy
    const unified = `/sys/fs/cgroup/unified/${fixture.config.cgroupParent}/leaves-nothing`;
    expect(await exists(cgroup)).toBe(true);
    const hybrid = await exists(unified);
    await fixture.garden.destroy("leaves-nothing");
    const state = await execa("runc", ["--root", fixture.config.runtimeRoot, "state", "leaves-nothing"], {
      reject: false,
    });
    expect(state.exitCode).not.toBe(0);
    expect(await exists(cgroup)).toBe(false);
    if (hybrid) expect(await exists(unified)).toBe(false);
    expect(await exists(info.containerPath)).toBe(false);
    expect(await exists(rootfs)).toBe(false);
    expect(await fixture.images.inspect("leaves-nothing")).toBeUndefined();
    expect(sleeper.id).toBeTruthy();
  });

  it("hides half-created containers unless asked, and a failed create leaves nothing", async () => {
    await expect(
      fixture.garden.create({ handle: "bad-image", image: { uri: "/no/such/rootfs" } }),
    ).rejects.toThrow();
    expect(
      (await fixture.garden.containers({}, { includeIncomplete: true })).map((c) => c.handle),
    ).not.toContain("bad-image");
    // Simulate a crash in the middle of create: the depot entry exists but is not complete.
    const { mkdir, writeFile } = await import("node:fs/promises");
    const dir = `${fixture.config.depotDir}/half-made`;
    await mkdir(dir);
    await writeFile(
      `${dir}/container.json`,
      JSON.stringify({
        handle: "half-made",
        spec: {},
        phase: "creating",
        privileged: false,
        createdAtMs: Date.now(),
      }),
    );
    expect((await fixture.garden.containers()).map((c) => c.handle)).not.toContain("half-made");
    expect((await fixture.garden.containers({}, { includeIncomplete: true })).map((c) => c.handle)).toContain(
      "half-made",
    );
    await fixture.garden.destroy("half-made");
    expect(await exists(dir)).toBe(false);
  });

  it("fails with the runtime's own message and leaves nothing behind", async () => {
    // a file mounted over a directory: allowed by Garden, refused by the runtime
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${fixture.bindsDir}/a-file`, "x");
    const attempt = fixture.garden.create({
      handle: "bad-mount",
      bindMounts: [{ srcPath: `${fixture.bindsDir}/a-file`, dstPath: "/bin", mode: "ro", origin: "host" }],
    });
    const error = await attempt.catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(RuntimeFailed);
    expect((error as RuntimeFailed).runtimeMessage).toMatch(/a-file.*not a directory/i);
    expect((error as Error).message).toMatch(
      /^runtime (create|run): runc exited with code 1:\n {2}.*not a directory/i,
    );
    expect((error as Error).message).toMatch(/\nSee the runtime's log .*runtime\.log/);
    expect(
      (await fixture.garden.containers({}, { includeIncomplete: true })).map((c) => c.handle),
    ).not.toContain("bad-mount");
    expect(await exists(`${fixture.config.depotDir}/bad-mount`)).toBe(false);
    expect(await fixture.images.inspect("bad-mount")).toBeUndefined();
  });

  it("reports info: state, hostname-independent fields, properties and container path", async () => {
    const container = await fixture.garden.create({ handle: "info-1", properties: { owner: "me" } });
    const info = await container.info();
    expect(info.state).toBe("active");
    expect(info.properties).toEqual({ owner: "me" });
    expect(info.containerPath).toBe(`${fixture.config.depotDir}/info-1`);
    expect(info.events).toEqual([]);
    expect((await sh(container, "hostname")).stdout).toBe("info-1\n");
    await fixture.garden.destroy("info-1");
  });

  it("gets, sets and removes properties, persisted in the depot", async () => {
    const container = await fixture.garden.create({ handle: "props", properties: { a: "1" } });
    await container.setProperty("b", "2");
    expect(await container.property("b")).toBe("2");
    await container.removeProperty("a");
    await expect(container.property("a")).rejects.toBeInstanceOf(GardenError);
    const reopened = await fixture.reopen();
    expect(await (await reopened.lookup("props")).properties()).toEqual({ b: "2" });
    await reopened.close();
    await fixture.garden.destroy("props");
  });

  it("stop terminates every process but init and marks the container stopped", async () => {
    const container = await fixture.garden.create({ handle: "stopper" });
    const polite = await container.run({ path: "sleep", args: ["1000"] });
    const stubborn = await container.run({
      path: "sh",
      args: ["-c", "trap '' TERM; echo trapped; while true; do sleep 0.1; done"],
    });
    // Stop only once the trap is in place, or SIGTERM could win the race.
    await eventually(async () => (await firstChunk(stubborn.stdout())).includes("trapped"), 5_000, "trap");
    await container.stop(false);
    expect(await polite.wait()).toBe(143);
    expect(await stubborn.wait()).toBe(137);
    expect((await container.info()).state).toBe("stopped");
    await fixture.garden.destroy("stopper");
  }, 30_000);

  it("stop with kill sends SIGKILL at once", async () => {
    const container = await fixture.garden.create({ handle: "killer" });
    const process = await container.run({
      path: "sh",
      args: ["-c", "trap '' TERM; echo trapped; sleep 1000"],
    });
    await eventually(async () => (await firstChunk(process.stdout())).includes("trapped"), 5_000, "trap");
    const started = Date.now();
    await container.stop(true);
    expect(await process.wait()).toBe(137);
    expect(Date.now() - started).toBeLessThan(3_000);
    await fixture.garden.destroy("killer");
  });

  it("reports metrics from cgroups and bulk info/metrics with per-handle errors", async () => {
    const container = await fixture.garden.create({
      handle: "metered",
      limits: { pid: { max: 50 }, cpu: { weight: 512 } },
    });
    await sh(container, "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done");
    const metrics = await container.metrics();
    expect(metrics.memoryStat.rss).toBeGreaterThanOrEqual(0);
    expect(metrics.memoryStat.hierarchical_memory_limit).toBeGreaterThan(0);
    expect(metrics.cpuStat.usage).toBeGreaterThan(0);
    expect(metrics.cpuStat.user + metrics.cpuStat.system).toBeGreaterThan(0);
    expect(metrics.pidStat).toEqual({ current: 1, max: 50 });
    expect(metrics.ageNs).toBeGreaterThan(0);
    expect(metrics.cpuEntitlement).toBeGreaterThan(0);
    expect(metrics.diskStat.totalBytesUsed).toBeGreaterThanOrEqual(0);
    const bulk = await fixture.garden.bulkInfo(["metered", "ghost"]);
    expect(bulk.metered?.info?.state).toBe("active");
    expect(bulk.ghost?.error).toBeInstanceOf(ContainerNotFound);
    const bulkMetrics = await fixture.garden.bulkMetrics(["metered", "ghost"]);
    expect(bulkMetrics.metered?.metrics?.pidStat.max).toBe(50);
    expect(bulkMetrics.ghost?.error).toBeInstanceOf(ContainerNotFound);
    expect(await container.currentLimits()).toEqual({ pid: { max: 50 }, cpu: { weight: 512 } });
    // the kernel enforces the weight: cpu.shares of the container's cgroup
    const shares = await readFile(
      `/sys/fs/cgroup/cpu/${fixture.config.cgroupParent}/metered/cpu.shares`,
      "utf8",
    );
    expect(Number(shares.trim())).toBe(512);
    await fixture.garden.destroy("metered");
  });

  it("reports capacity and refuses containers beyond maxContainers", async () => {
    const capacity = await fixture.garden.capacity();
    expect(capacity.maxContainers).toBe(7);
    expect(capacity.memoryInBytes).toBeGreaterThan(0);
    expect(capacity.diskInBytes).toBeGreaterThan(0);
    const made: string[] = [];
    let refusal: unknown;
    for (let i = 0; i < 8 && !refusal; i++) {
      await fixture.garden.create({ handle: `cap-${i}` }).then(
        (container) => made.push(container.handle),
        (error: unknown) => {
          refusal = error;
        },
      );
    }
    expect(refusal).toBeInstanceOf(ServiceUnavailable);
    expect((await fixture.garden.containers({}, { includeIncomplete: true })).length).toBe(7);
    for (const handle of made) await fixture.garden.destroy(handle);
  });

  it("bind-mounts host directories read-only or read-write", async () => {
    const { mkdtemp, writeFile, readFile, chmod } = await import("node:fs/promises");
    const hostDir = await mkdtemp(`${fixture.bindsDir}/bind-`);
    await chmod(hostDir, 0o777);
    await writeFile(`${hostDir}/hello`, "from host\n");
    const container = await fixture.garden.create({
      handle: "binds",
      bindMounts: [
        { srcPath: hostDir, dstPath: "/ro", mode: "ro", origin: "host" },
        { srcPath: hostDir, dstPath: "/rw", mode: "rw", origin: "host" },
      ],
    });
    expect((await sh(container, "cat /ro/hello")).stdout).toBe("from host\n");
    expect((await sh(container, "echo x > /ro/new")).exitCode).not.toBe(0);
    expect((await sh(container, "echo written > /rw/new")).exitCode).toBe(0);
    expect(await readFile(`${hostDir}/new`, "utf8")).toBe("written\n");
    await fixture.garden.destroy("binds");
  });

  it("refuses bind-mount sources outside the allowed roots, also through a symlink, and creates nothing", async () => {
    const { mkdtemp, symlink } = await import("node:fs/promises");
    const outside = await mkdtemp(`${fixture.dir}/outside-`);
    await symlink(outside, `${fixture.bindsDir}/escape`);
    const attempts = [
      { srcPath: outside, dstPath: "/x", mode: "rw", origin: "host" },
      { srcPath: "/etc", dstPath: "/x", mode: "ro", origin: "host" },
      { srcPath: `${fixture.bindsDir}/escape`, dstPath: "/x", mode: "rw", origin: "host" },
      { srcPath: `${fixture.bindsDir}/../outside`, dstPath: "/x", mode: "rw", origin: "host" },
      { srcPath: fixture.bindsDir, dstPath: "../x", mode: "rw", origin: "host" },
    ] as const;
    for (const mount of attempts) {
      const error = await fixture.garden
        .create({ handle: "refused-mount", bindMounts: [mount] })
        .catch((caught: Error) => caught);
      expect(error).toBeInstanceOf(BindMountRefused);
      expect(error).toBeInstanceOf(InvalidSpec);
      expect((error as BindMountRefused).srcPath).toBe(mount.srcPath);
    }
    expect(
      (await fixture.garden.containers({}, { includeIncomplete: true })).map((c) => c.handle),
    ).not.toContain("refused-mount");
    expect(await exists(`${fixture.config.depotDir}/refused-mount`)).toBe(false);
  });

  it("keeps working when the process reads nothing it was given", async () => {
    const container = await fixture.garden.create({ handle: "quiet" });
    const process = await container.run({ path: "true" });
    expect(await readAll(process.stdout())).toBe("");
    expect(await process.wait()).toBe(0);
    await fixture.garden.destroy("quiet");
  });
});
