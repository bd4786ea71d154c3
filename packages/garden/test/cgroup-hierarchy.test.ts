import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectCgroupVersion } from "../src/cgroups/cgroup";
import type { Container } from "../src/index";
import {
  eventually,
  exists,
  firstChunk,
  type GardenFixture,
  gardenFixture,
  minimalRootfs,
  runtimeAvailable,
  sh,
} from "./support";

/**
 * The runtime's cgroup-sensitive behaviour against the host's real hierarchy with real runc: v1 or
 * hybrid on this machine, pure v2 in the guest of `npm run test:cgroup2` (infra/vm). The waits are
 * long because the guest runs under emulation.
 */
describe.runIf(runtimeAvailable)("cgroups on the host's real hierarchy", () => {
  const wait = 60_000;
  let fixture: GardenFixture;
  let version: 1 | 2;
  let peaImage: string;
  beforeAll(async () => {
    fixture = await gardenFixture({ stopTimeoutMs: 5_000 });
    version = await detectCgroupVersion();
    peaImage = await minimalRootfs(join(fixture.dir, "pea-rootfs"));
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  /** the file a limit lives in: v2's files of the init's leaf, or v1's per-controller hierarchies */
  const limitFile = (handle: string, v1Controller: string, v1File: string, v2File: string) =>
    version === 2
      ? `/sys/fs/cgroup/${fixture.config.cgroupParent}/${handle}/init/${v2File}`
      : `/sys/fs/cgroup/${v1Controller}/${fixture.config.cgroupParent}/${handle}/${v1File}`;
  const read = async (path: string) => (await readFile(path, "utf8")).trim();
  /** every directory of the container's cgroup, on each hierarchy this host mounts */
  const cgroupDirs = async (handle: string) => {
    const parent = fixture.config.cgroupParent;
    if (version === 2) return [`/sys/fs/cgroup/${parent}/${handle}`];
    const dirs = ["memory", "pids", "cpu", "unified"].map(
      (hierarchy) => `/sys/fs/cgroup/${hierarchy}/${parent}/${handle}`,
    );
    const present = await Promise.all(dirs.map(exists));
    return dirs.filter((_, i) => present[i]);
  };
  const runningSleep = async (container: Container, image?: string) => {
    const process = await container.run({
      path: "sh",
      args: ["-c", "trap '' TERM; echo ready; while true; do sleep 0.2; done"],
      ...(image ? { image: { uri: image } } : {}),
    });
    await eventually(async () => (await firstChunk(process.stdout())).includes("ready"), wait, "the trap");
    return process;
  };

  it("gives runc's limits to the kernel and reports them and the usage in metrics", async () => {
    const container = await fixture.garden.create({
      handle: "limited",
      limits: { memory: { limitInBytes: 64 << 20 }, pid: { max: 30 }, cpu: { weight: 512 } },
    });
    expect(Number(await read(limitFile("limited", "memory", "memory.limit_in_bytes", "memory.max")))).toBe(
      64 << 20,
    );
    expect(await read(limitFile("limited", "pids", "pids.max", "pids.max"))).toBe("30");
    // runc writes shares on v1 and converts them to a weight on v2: 1 + (512 - 2) * 9999 / 262142
    expect(Number(await read(limitFile("limited", "cpu", "cpu.shares", "cpu.weight")))).toBe(
      version === 2 ? 20 : 512,
    );
    if (version === 2) {
      // processes only in leaves: the container's own cgroup holds none itself
      const dir = `/sys/fs/cgroup/${fixture.config.cgroupParent}/limited`;
      expect(await read(join(dir, "cgroup.procs"))).toBe("");
      expect((await read(join(dir, "init/cgroup.procs"))).split("\n").length).toBeGreaterThan(0);
    }
    const busy = await sh(
      container,
      "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; head -c 4000000 /dev/zero > /tmp/f",
    );
    expect(busy.exitCode).toBe(0);
    const sleeper = await runningSleep(container);
    const metrics = await container.metrics();
    expect(metrics.memoryStat.hierarchical_memory_limit).toBe(64 << 20);
    expect(metrics.memoryStat.TotalUsageTowardLimit ?? metrics.memoryStat.rss).toBeGreaterThan(0);
    expect(metrics.cpuStat.usage).toBeGreaterThan(0);
    expect(metrics.cpuStat.user + metrics.cpuStat.system).toBeGreaterThan(0);
    // init, the sh loop and its sleep (which comes and goes)
    expect(metrics.pidStat.current).toBeGreaterThanOrEqual(2);
    expect(metrics.pidStat.max).toBe(30);
    expect(metrics.cpuEntitlement).toBeGreaterThan(0);
    expect(await container.currentLimits()).toMatchObject({ pid: { max: 30 }, cpu: { weight: 512 } });
    await sleeper.signal("kill");
    expect(await sleeper.wait()).toBe(137);
  });

  it("keeps a fork bomb inside the pids limit", async () => {
    const container = await fixture.garden.create({ handle: "forky", limits: { pid: { max: 12 } } });
    const bomb = await container.run({
      path: "sh",
      args: ["-c", "for i in $(seq 1 40); do sleep 60 & done; wait"],
    });
    await eventually(async () => (await container.metrics()).pidStat.current >= 10, wait, "pids to fill up");
    expect((await container.metrics()).pidStat.current).toBeLessThanOrEqual(12);
    await bomb.signal("kill");
  });

  it("reports the kernel's OOM kill as an oom event", async () => {
    const container = await fixture.garden.create({
      handle: "oomy",
      limits: { memory: { limitInBytes: 24 << 20 } },
    });
    expect((await container.info()).events).not.toContain("oom");
    const hog = await container.run({
      path: "sh",
      args: ["-c", "x=$(head -c 40000000 /dev/zero | tr '\\0' a); echo $x | wc -c"],
    });
    expect(await hog.wait()).not.toBe(0);
    await eventually(async () => (await container.info()).events.includes("oom"), wait, "the oom event");
  });

  it("runs a pea in its own cgroup under the container's, with its own limits, counted in the container's", async () => {
    const container = await fixture.garden.create({ handle: "podded" });
    const pea = await container.run({
      id: "side",
      path: "sh",
      args: ["-c", "echo ready; while true; do sleep 0.2; done"],
      image: { uri: peaImage },
      limits: { memory: { limitInBytes: 32 << 20 }, pid: { max: 9 } },
    });
    await eventually(async () => (await firstChunk(pea.stdout())).includes("ready"), wait, "the pea");
    const peaDir =
      version === 2
        ? `/sys/fs/cgroup/${fixture.config.cgroupParent}/podded/pea-side`
        : `/sys/fs/cgroup/pids/${fixture.config.cgroupParent}/podded/pea-side`;
    expect(await read(join(peaDir, "pids.max"))).toBe("9");
    if (version === 2) expect(Number(await read(join(peaDir, "memory.max")))).toBe(32 << 20);
    const procs = (await read(join(peaDir, "cgroup.procs"))).split("\n").filter(Boolean);
    expect(procs.length).toBeGreaterThan(0);
    // the container's figures include the pea: its init and the pea's shell at least
    expect((await container.metrics()).pidStat.current).toBeGreaterThanOrEqual(2);
    expect((await container.info()).processIDs).toContain("side");
    // a pea past its own memory limit is killed; the container carries on
    const hog = await container.run({
      path: "sh",
      args: ["-c", "x=$(head -c 40000000 /dev/zero | tr '\\0' a); echo $x | wc -c"],
      image: { uri: peaImage },
      limits: { memory: { limitInBytes: 16 << 20 } },
    });
    expect(await hog.wait()).not.toBe(0);
    expect((await sh(container, "echo alive")).stdout).toBe("alive\n");
    await pea.signal("kill");
    expect(await pea.wait()).toBe(137);
  });

  it("stop finds every process in the cgroups, a pea's too, and leaves init", async () => {
    const container = await fixture.garden.create({ handle: "stopper" });
    const stubborn = await runningSleep(container);
    const polite = await container.run({ path: "sleep", args: ["1000"] });
    const pea = await runningSleep(container, peaImage);
    await container.stop(false);
    expect(await polite.wait()).toBe(143);
    expect(await stubborn.wait()).toBe(137);
    expect(await pea.wait()).toBe(137);
    expect((await container.info()).state).toBe("stopped");
  });

  it("a restarted runtime finds the running processes in the cgroups, reads their metrics and stops them", async () => {
    const container = await fixture.garden.create({ handle: "survivor", limits: { pid: { max: 40 } } });
    await runningSleep(container);
    const reopened = await fixture.reopen();
    const again = await reopened.lookup("survivor");
    expect((await again.metrics()).pidStat).toMatchObject({ max: 40 });
    expect((await again.metrics()).pidStat.current).toBeGreaterThanOrEqual(2);
    await again.stop(true);
    await eventually(async () => (await again.metrics()).pidStat.current === 1, wait, "only init left");
  });

  it("destroy removes every cgroup directory, a running pea's included", async () => {
    const container = await fixture.garden.create({
      handle: "leaves-nothing",
      limits: { memory: { limitInBytes: 64 << 20 } },
    });
    await runningSleep(container);
    await runningSleep(container, peaImage);
    const dirs = await cgroupDirs("leaves-nothing");
    expect(dirs.length).toBeGreaterThan(0);
    await fixture.garden.destroy("leaves-nothing");
    for (const dir of dirs) expect(await exists(dir), dir).toBe(false);
    // and every other container of this file, once destroyed, leaves its parent empty
    for (const other of await fixture.garden.containers({}, { includeIncomplete: true })) {
      await fixture.garden.destroy(other.handle);
    }
    const parent =
      version === 2
        ? `/sys/fs/cgroup/${fixture.config.cgroupParent}`
        : `/sys/fs/cgroup/memory/${fixture.config.cgroupParent}`;
    const left = await readdir(parent, { withFileTypes: true }).catch(() => []);
    expect(left.filter((entry) => entry.isDirectory()).map((entry) => entry.name)).toEqual([]);
  });
});
