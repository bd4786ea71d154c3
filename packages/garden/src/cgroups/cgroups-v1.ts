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

// "unified": the cgroup v2 hierarchy of a hybrid host, where runc also makes a directory per container
const controllers = [
  "memory",
  "cpu",
  "cpuacct",
  "pids",
  "blkio",
  "cpuset",
  "devices",
  "freezer",
  "systemd",
  "unified",
];

/** Reads a container's accounting from cgroup v1 files under `<root>/<controller><cgroupsPath>`. */
export class CgroupV1 implements ContainerCgroup {
  constructor(
    readonly cgroupsPath: string,
    readonly root = "/sys/fs/cgroup",
  ) {}

  dir(controller: string): string {
    return join(this.root, controller, this.cgroupsPath);
  }

  /** memory.stat as a map with the kernel's snake_case keys. */
  async memoryStat(): Promise<Record<string, number>> {
    return keyedNumbers(await this.read("memory", "memory.stat"));
  }

  /** CPU time in nanoseconds. */
  async cpuStat(): Promise<{ usage: number; user: number; system: number }> {
    const [usage, user, system] = await Promise.all([
      this.readNumber("cpuacct", "cpuacct.usage"),
      this.readNumber("cpuacct", "cpuacct.usage_user"),
      this.readNumber("cpuacct", "cpuacct.usage_sys"),
    ]);
    return { usage, user, system };
  }

  async pidStat(): Promise<{ current: number; max: number }> {
    const [current, max] = await Promise.all([
      this.readNumber("pids", "pids.current"),
      this.read("pids", "pids.max").then((text) => (text.trim() === "max" ? 0 : Number(text))),
    ]);
    return { current, max };
  }

  async cpuShares(): Promise<number> {
    return this.readNumber("cpu", "cpu.shares");
  }

  async memoryLimit(): Promise<number> {
    return this.readNumber("memory", "memory.limit_in_bytes");
  }

  /** How many times the kernel's OOM killer fired inside this cgroup. */
  async oomKills(): Promise<number> {
    return keyedNumbers(await this.read("memory", "memory.oom_control")).oom_kill ?? 0;
  }

  /** Host pids of every process in this cgroup and its children (peas live in children). */
  async processIds(): Promise<number[]> {
    return collectProcs(this.dir("pids"));
  }

  /** Removes this cgroup (and leftover children) from every hierarchy; missing ones are fine. */
  async remove(): Promise<void> {
    await Promise.all(controllers.map((controller) => removeTree(this.dir(controller))));
  }

  private read(controller: string, file: string): Promise<string> {
    return readCgroupFile(join(this.dir(controller), file));
  }

  private readNumber(controller: string, file: string): Promise<number> {
    return readCgroupNumber(join(this.dir(controller), file));
  }
}

/** v1 (and hybrid): the container's init in its own cgroup, peas in children of it. */
export function cgroupV1Layout(root = "/sys/fs/cgroup"): CgroupLayout {
  return {
    version: 1,
    initPath: (containerPath) => containerPath,
    peaPath: (containerPath, peaId) => `${containerPath}/pea-${peaId}`,
    open: (containerPath) => new CgroupV1(containerPath, root),
  };
}
