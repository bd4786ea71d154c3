import { access, readdir, readFile, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { GardenError } from "../errors";

/** A cgroup file that could not be read: never taken as 0, which would hide a stop or an OOM. */
export class CgroupReadFailed extends GardenError {
  /** the file (or its cgroup) does not exist: the container's cgroup is gone */
  readonly missing: boolean;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot read ${path}: ${(cause as Error).message ?? String(cause)}`);
    this.missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
  }
}

/** `[]` for a cgroup that is gone (nothing left to signal), the error for any other failure */
export function noneIfGone<T>(error: unknown, none: T): T {
  if (error instanceof CgroupReadFailed && error.missing) return none;
  throw error;
}

/** What the runtime reads and does with one container's (or a pea's) cgroup, on either hierarchy. */
export interface ContainerCgroup {
  /** memory.stat with the kernel's keys (v1's total_*; v2's anon, file…), plus TotalUsageTowardLimit on v2 */
  memoryStat(): Promise<Record<string, number>>;
  /** CPU time in nanoseconds */
  cpuStat(): Promise<{ usage: number; user: number; system: number }>;
  pidStat(): Promise<{ current: number; max: number }>;
  /** the CPU weight in v1 shares (v2's cpu.weight converted back) */
  cpuShares(): Promise<number>;
  /** bytes; 0 when unlimited */
  memoryLimit(): Promise<number>;
  /** how many times the kernel's OOM killer fired inside this cgroup */
  oomKills(): Promise<number>;
  /** host pids of every process in this cgroup and its children (peas) */
  processIds(): Promise<number[]>;
  /** removes the cgroup and leftover children; a missing one is fine */
  remove(): Promise<void>;
}

/** The hierarchy this host mounts at `root`, and how containers and peas are laid out in it. */
export interface CgroupLayout {
  version: 1 | 2;
  /** where the OCI runtime puts a container's init (its config.json cgroupsPath) */
  initPath(containerPath: string): string;
  /** where a pea of the container goes */
  peaPath(containerPath: string, peaId: string): string;
  /** the container's whole cgroup (init and peas) */
  open(containerPath: string): ContainerCgroup;
}

export async function readCgroupFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new CgroupReadFailed(path, error);
  }
}

export async function readCgroupNumber(path: string): Promise<number> {
  const text = (await readCgroupFile(path)).trim();
  const value = Number(text);
  if (!Number.isFinite(value)) throw new CgroupReadFailed(path, new Error(`not a number: "${text}"`));
  return value;
}

/** `key value` lines (memory.stat, cpu.stat, memory.events) as a map */
export function keyedNumbers(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [key, value] = line.split(" ");
    if (key && value !== undefined) out[key] = Number(value);
  }
  return out;
}

/** pids in `dir`'s cgroup.procs and its children's; a child gone meanwhile is skipped */
export async function collectProcs(dir: string): Promise<number[]> {
  const pids = (await readCgroupFile(join(dir, "cgroup.procs"))).split("\n").filter(Boolean).map(Number);
  const children = await readdir(dir, { withFileTypes: true });
  for (const child of children) {
    if (!child.isDirectory()) continue;
    pids.push(...(await collectProcs(join(dir, child.name)).catch(() => [])));
  }
  return pids;
}

export async function removeTree(dir: string): Promise<void> {
  const children = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!children) return;
  for (const child of children) {
    if (child.isDirectory()) await removeTree(join(dir, child.name));
  }
  await rmdir(dir).catch(() => {});
}

/** v2 when `root` is the unified hierarchy itself (cgroup.controllers at its top), else v1/hybrid */
export async function detectCgroupVersion(root = "/sys/fs/cgroup"): Promise<1 | 2> {
  const unified = await access(join(root, "cgroup.controllers")).then(
    () => true,
    () => false,
  );
  return unified ? 2 : 1;
}
