import { readdir, readFile, rmdir } from "node:fs/promises";
import { join } from "node:path";

const cgroupRoot = "/sys/fs/cgroup";
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
export class CgroupV1 {
  constructor(readonly cgroupsPath: string) {}

  dir(controller: string): string {
    return join(cgroupRoot, controller, this.cgroupsPath);
  }

  /** memory.stat as a map with the kernel's snake_case keys. */
  async memoryStat(): Promise<Record<string, number>> {
    const text = await this.read("memory", "memory.stat");
    const stat: Record<string, number> = {};
    for (const line of text.split("\n")) {
      const [key, value] = line.split(" ");
      if (key && value !== undefined) stat[key] = Number(value);
    }
    return stat;
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
    const text = await this.read("memory", "memory.oom_control");
    const match = /oom_kill (\d+)/.exec(text);
    return match ? Number(match[1]) : 0;
  }

  /** Host pids of every process in this cgroup and its children (peas live in children). */
  async processIds(): Promise<number[]> {
    return collectProcs(this.dir("pids"));
  }

  /** Removes this cgroup (and leftover children) from every hierarchy; missing ones are fine. */
  async remove(): Promise<void> {
    await Promise.all(
      controllers.map((controller) => removeTree(join(cgroupRoot, controller, this.cgroupsPath))),
    );
  }

  private async read(controller: string, file: string): Promise<string> {
    return readFile(join(this.dir(controller), file), "utf8").catch(() => "");
  }

  private async readNumber(controller: string, file: string): Promise<number> {
    const value = Number((await this.read(controller, file)).trim());
    return Number.isFinite(value) ? value : 0;
  }
}

async function collectProcs(dir: string): Promise<number[]> {
  const text = await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "");
  const pids = text.split("\n").filter(Boolean).map(Number);
  const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const child of children) {
    if (child.isDirectory()) pids.push(...(await collectProcs(join(dir, child.name))));
  }
  return pids;
}

async function removeTree(dir: string): Promise<void> {
  const children = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!children) return;
  for (const child of children) {
    if (child.isDirectory()) await removeTree(join(dir, child.name));
  }
  await rmdir(dir).catch(() => {});
}
