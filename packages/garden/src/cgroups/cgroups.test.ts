import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CgroupReadFailed, detectCgroupVersion, noneIfGone } from "./cgroup";
import { CgroupV1, cgroupV1Layout } from "./cgroups-v1";
import { CgroupV2, cgroupV2Layout } from "./cgroups-v2";
import { hostCgroupLayout } from "./host";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "grove-cgroups-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function files(entries: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(entries)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe("a pure cgroup v2 host", () => {
  beforeEach(() =>
    files({
      "cgroup.controllers": "cpuset cpu io memory pids\n",
      "grove/web-0/memory.stat": "anon 1048576\nfile 4194304\ninactive_file 1048576\nfile_mapped 8192\n",
      "grove/web-0/cpu.stat": "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n",
      "grove/web-0/pids.current": "3\n",
      "grove/web-0/pids.max": "max\n",
      "grove/web-0/memory.events": "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n",
      "grove/web-0/cgroup.procs": "",
      "grove/web-0/init/cgroup.procs": "100\n101\n",
      "grove/web-0/init/cpu.weight": "39\n",
      "grove/web-0/init/memory.max": "268435456\n",
      // runc sets the container's limits on the init's leaf; the container's own is unlimited
      "grove/web-0/init/pids.max": "30\n",
      "grove/web-0/pea-p1/cgroup.procs": "200\n",
    }),
  );

  it("is told apart from v1 by the unified hierarchy at the top", async () => {
    expect(await detectCgroupVersion(root)).toBe(2);
    expect((await hostCgroupLayout(root)).version).toBe(2);
  });

  it("puts the init and each pea in leaves under the container's cgroup (no processes in inner nodes)", () => {
    const layout = cgroupV2Layout(root);
    expect(layout.initPath("/grove/web-0")).toBe("/grove/web-0/init");
    expect(layout.peaPath("/grove/web-0", "p1")).toBe("/grove/web-0/pea-p1");
  });

  it("reads memory, cpu (µs as ns), pids, weight as shares, the limit, OOM kills and every process", async () => {
    const cgroup = new CgroupV2("/grove/web-0", root);
    const memory = await cgroup.memoryStat();
    expect(memory.anon).toBe(1048576);
    expect(memory.TotalUsageTowardLimit).toBe(1048576 + 4194304 - 1048576);
    expect(memory.hierarchical_memory_limit).toBe(268435456);
    expect(await cgroup.cpuStat()).toEqual({ usage: 2_500_000, user: 2_000_000, system: 500_000 });
    expect(await cgroup.pidStat()).toEqual({ current: 3, max: 30 });
    // runc writes weight 39 for 1024 shares: read back as 1024 (± rounding)
    expect(Math.abs((await cgroup.cpuShares()) - 1024)).toBeLessThan(30);
    expect(await cgroup.memoryLimit()).toBe(268435456);
    expect(await cgroup.oomKills()).toBe(1);
    expect((await cgroup.processIds()).sort()).toEqual([100, 101, 200]);
  });

  it("never turns a failed read into 0: the error names the file", async () => {
    await rm(join(root, "grove/web-0/memory.events"));
    const failed = await new CgroupV2("/grove/web-0", root).oomKills().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CgroupReadFailed);
    expect((failed as CgroupReadFailed).message).toContain(join(root, "grove/web-0/memory.events"));
    expect((failed as CgroupReadFailed).missing).toBe(true);
    await writeFile(join(root, "grove/web-0/pids.current"), "garbage\n");
    await expect(new CgroupV2("/grove/web-0", root).pidStat()).rejects.toThrow(/pids.current: not a number/);
  });

  it("removes the container's cgroup with its leaves", async () => {
    // cgroupfs directories hold only kernel files; a fake tree is emptied first
    for (const leaf of ["init", "pea-p1", ""]) {
      const dir = join(root, "grove/web-0", leaf);
      for (const f of [
        "cgroup.procs",
        "cpu.weight",
        "memory.max",
        "memory.stat",
        "cpu.stat",
        "pids.current",
        "pids.max",
        "memory.events",
      ])
        await rm(join(dir, f), { force: true });
    }
    await new CgroupV2("/grove/web-0", root).remove();
    expect(existsSync(join(root, "grove/web-0"))).toBe(false);
    await expect(new CgroupV2("/grove/web-0", root).processIds()).rejects.toBeInstanceOf(CgroupReadFailed);
  });
});

describe("a cgroup v1 (or hybrid) host", () => {
  beforeEach(() =>
    files({
      "memory/grove/web-0/memory.stat": "total_rss 2048\ntotal_cache 4096\n",
      "memory/grove/web-0/memory.limit_in_bytes": "268435456\n",
      "memory/grove/web-0/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
      "cpuacct/grove/web-0/cpuacct.usage": "3000\n",
      "cpuacct/grove/web-0/cpuacct.usage_user": "2000\n",
      "cpuacct/grove/web-0/cpuacct.usage_sys": "1000\n",
      "cpu/grove/web-0/cpu.shares": "512\n",
      "pids/grove/web-0/pids.current": "2\n",
      "pids/grove/web-0/pids.max": "1024\n",
      "pids/grove/web-0/cgroup.procs": "100\n",
      "pids/grove/web-0/pea-p1/cgroup.procs": "200\n",
    }),
  );

  it("keeps the init in the container's cgroup and peas in its children", async () => {
    expect(await detectCgroupVersion(root)).toBe(1);
    const layout = cgroupV1Layout(root);
    expect(layout.initPath("/grove/web-0")).toBe("/grove/web-0");
    expect(layout.peaPath("/grove/web-0", "p1")).toBe("/grove/web-0/pea-p1");
  });

  it("reads each controller's files", async () => {
    const cgroup = new CgroupV1("/grove/web-0", root);
    expect((await cgroup.memoryStat()).total_rss).toBe(2048);
    expect(await cgroup.cpuStat()).toEqual({ usage: 3000, user: 2000, system: 1000 });
    expect(await cgroup.pidStat()).toEqual({ current: 2, max: 1024 });
    expect(await cgroup.cpuShares()).toBe(512);
    expect(await cgroup.oomKills()).toBe(2);
    expect((await cgroup.processIds()).sort()).toEqual([100, 200]);
  });

  it("fails a read of a missing file with its path; a cgroup that is gone has nothing to signal", async () => {
    const gone = new CgroupV1("/grove/web-9", root);
    const failed = await gone.cpuShares().catch((e: unknown) => e);
    expect((failed as Error).message).toContain(join(root, "cpu/grove/web-9/cpu.shares"));
    expect(await gone.processIds().catch((e: unknown) => noneIfGone(e, [] as number[]))).toEqual([]);
    await writeFile(join(root, "pids/grove/web-0/cgroup.procs"), "");
    expect(() => noneIfGone(new Error("EIO"), [])).toThrow("EIO");
  });
});
