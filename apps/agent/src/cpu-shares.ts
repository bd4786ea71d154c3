/** Instances smaller than this get its weight, so a tiny instance is never starved outright. */
export const CPU_SHARES_FLOOR_MB = 64;
/** Instances larger than this get its weight, so one huge instance cannot crowd out a cell. */
export const CPU_SHARES_CAP_MB = 8192;

/**
 * An instance's CPU weight (cgroup v1 `cpu.shares`) from its memory, as Diego does: one share per
 * MB, clamped to [64, 8192] MB, so under contention instances get CPU time in proportion to the
 * memory they pay for (a 1 GiB instance has the kernel's default weight of 1024). Uncontended,
 * every instance may use idle CPU. runC turns shares into `cpu.weight` on a cgroup v2 host.
 */
export function cpuSharesFor(memoryMb: number): number {
  return Math.round(Math.min(CPU_SHARES_CAP_MB, Math.max(CPU_SHARES_FLOOR_MB, memoryMb)));
}
