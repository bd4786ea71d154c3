import { join } from "node:path";
import {
  type CgroupLayout,
  type ContainerCgroup,
  collectProcs,
  keyedNumbers,
  readCgroupFile,
  readCgroupNumber,
  removeTree,
} from "./cgroup";

/**
 * A container's cgroup on the unified (v2) hierarchy: `<root><cgroupsPath>`. Inner nodes may hold
 * no processes, so the container's init lives in the leaf `init` and each pea in `pea-<id>`,
 * both under the container's cgroup, whose files count them all.
 */
export class CgroupV2 implements ContainerCgroup {
  constructor(
    readonly cgroupsPath: string,
    readonly root = "/sys/fs/cgroup",
  ) {}

  get dir(): string {
    return join(this.root, this.cgroupsPath);
  }

  async memoryStat(): Promise<Record<string, number>> {
    const stat = keyedNumbers(await readCgroupFile(join(this.dir, "memory.stat")));
    // Guardian's "in use" on v2: what is charged minus the page cache the kernel can drop at once
    stat.TotalUsageTowardLimit = Math.max(0, (stat.anon ?? 0) + (stat.file ?? 0) - (stat.inactive_file ?? 0));
    const limit = await this.memoryLimit();
    if (limit > 0) stat.hierarchical_memory_limit = limit;
    return stat;
  }

  async cpuStat(): Promise<{ usage: number; user: number; system: number }> {
    const stat = keyedNumbers(await readCgroupFile(join(this.dir, "cpu.stat")));
    const ns = (key: string) => {
      const micros = stat[key];
      if (micros === undefined) throw new Error(`${join(this.dir, "cpu.stat")} has no ${key}`);
      return micros * 1000;
    };
    return { usage: ns("usage_usec"), user: ns("user_usec"), system: ns("system_usec") };
  }

  /** current counts the whole container (init and peas); max is the limit runc set on the init's leaf */
  async pidStat(): Promise<{ current: number; max: number }> {
    const [current, max] = await Promise.all([
      readCgroupNumber(join(this.dir, "pids.current")),
      readCgroupFile(join(this.initDir, "pids.max")).then((text) =>
        text.trim() === "max" ? 0 : Number(text),
      ),
    ]);
    return { current, max };
  }

  /** runc's conversion, inverted: weight = 1 + ((shares - 2) * 9999) / 262142 */
  async cpuShares(): Promise<number> {
    const weight = await readCgroupNumber(join(this.initDir, "cpu.weight"));
    return Math.round(((weight - 1) * 262142) / 9999 + 2);
  }

  async memoryLimit(): Promise<number> {
    const text = (await readCgroupFile(join(this.initDir, "memory.max"))).trim();
    return text === "max" ? 0 : Number(text);
  }

  async oomKills(): Promise<number> {
    // memory.events counts this cgroup's subtree (init and peas) unless memory_localevents is set
    const events = keyedNumbers(await readCgroupFile(join(this.dir, "memory.events")));
    return events.oom_kill ?? 0;
  }

  async processIds(): Promise<number[]> {
    return collectProcs(this.dir);
  }

  async remove(): Promise<void> {
    await removeTree(this.dir);
  }

  /** where runc set the container's own limits */
  private get initDir(): string {
    return join(this.dir, "init");
  }
}

export function cgroupV2Layout(root = "/sys/fs/cgroup"): CgroupLayout {
  return {
    version: 2,
    initPath: (containerPath) => `${containerPath}/init`,
    peaPath: (containerPath, peaId) => `${containerPath}/pea-${peaId}`,
    open: (containerPath) => new CgroupV2(containerPath, root),
  };
}
