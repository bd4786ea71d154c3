import type { ContainerMetrics, Garden } from "@grove/garden";
import type { InstanceUsage } from "@grove/protocol";

interface CpuSample {
  usageNs: number;
  atNs: number;
}

/**
 * Memory a container is charged toward its limit, from its memory.stat: resident plus page cache,
 * less the inactive file cache the kernel reclaims first (what Garden reports and `cf app` shows).
 * Reads cgroup v1 keys (`total_*`, which include peas) and falls back to cgroup v2 ones.
 */
export function memoryTowardLimit(stat: Record<string, number>): number {
  const v1 = stat.total_rss !== undefined;
  const resident = (v1 ? stat.total_rss : stat.anon) ?? 0;
  const cache = (v1 ? stat.total_cache : stat.file) ?? 0;
  const inactive = (v1 ? stat.total_inactive_file : stat.inactive_file) ?? 0;
  return Math.max(0, resident + cache - inactive);
}

/** CPU used between two samples, in percent of one core; the first sample averages over the container's life. */
export function cpuPercent(metrics: ContainerMetrics, previous: CpuSample | undefined, atNs: number): number {
  const usageNs = metrics.cpuStat.usage;
  const [used, elapsed] =
    previous && usageNs >= previous.usageNs && atNs > previous.atNs
      ? [usageNs - previous.usageNs, atNs - previous.atNs]
      : [usageNs, metrics.ageNs];
  if (elapsed <= 0) return 0;
  return Math.round((used / elapsed) * 1000) / 10;
}

/**
 * The latest usage of each instance's container, sampled through garden's bulk metrics (cgroups and
 * the container's disk). CPU is a rate, so each sample is compared with the one before.
 */
export class UsageSampler {
  readonly #latest = new Map<string, InstanceUsage>();
  readonly #cpu = new Map<string, CpuSample>();
  #sampling = false;

  constructor(
    private readonly garden: Pick<Garden, "bulkMetrics">,
    private readonly nowNs: () => number = () => Number(process.hrtime.bigint()),
  ) {}

  /** Samples these containers; others are forgotten. A sample still under way makes this a no-op. */
  async sample(handles: string[]): Promise<void> {
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      const results = handles.length === 0 ? {} : await this.garden.bulkMetrics(handles);
      const atNs = this.nowNs();
      const keep = new Set(handles);
      for (const handle of [...this.#latest.keys()]) if (!keep.has(handle)) this.#latest.delete(handle);
      for (const handle of [...this.#cpu.keys()]) if (!keep.has(handle)) this.#cpu.delete(handle);
      for (const [handle, result] of Object.entries(results)) {
        const metrics = result.metrics;
        if (!metrics) continue;
        this.#latest.set(handle, {
          cpuPercent: cpuPercent(metrics, this.#cpu.get(handle), atNs),
          memoryBytes: memoryTowardLimit(metrics.memoryStat),
          // what counts toward the instance's disk quota (scope exclusive: not the image)
          diskBytes: metrics.diskStat.exclusiveBytesUsed,
        });
        this.#cpu.set(handle, { usageNs: metrics.cpuStat.usage, atNs });
      }
    } finally {
      this.#sampling = false;
    }
  }

  /** The last sample of a container, if any. */
  latest(handle: string): InstanceUsage | undefined {
    return this.#latest.get(handle);
  }
}
