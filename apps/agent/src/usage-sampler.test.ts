import type { ContainerMetrics } from "@grove/garden";
import { describe, expect, it } from "vitest";
import { cpuPercent, memoryTowardLimit, UsageSampler } from "./usage-sampler";

function metrics(cpuNs: number, ageNs: number, memoryStat: Record<string, number> = {}): ContainerMetrics {
  return {
    memoryStat,
    cpuStat: { usage: cpuNs, user: cpuNs, system: 0 },
    diskStat: { totalBytesUsed: 4096, totalInodesUsed: 1, exclusiveBytesUsed: 4096, exclusiveInodesUsed: 1 },
    networkStat: { rxBytes: 0, txBytes: 0 },
    pidStat: { current: 1, max: 1024 },
    ageNs,
    cpuEntitlement: 0,
  };
}

describe("usage sampling", () => {
  it("counts memory toward the limit without reclaimable file cache, from v1 or v2 keys", () => {
    expect(memoryTowardLimit({ total_rss: 100, total_cache: 50, total_inactive_file: 30, rss: 1 })).toBe(120);
    expect(memoryTowardLimit({ anon: 100, file: 50, inactive_file: 30 })).toBe(120);
    expect(memoryTowardLimit({})).toBe(0);
  });

  it("gives CPU as a rate between samples, and over the container's life for the first", () => {
    expect(cpuPercent(metrics(5e8, 1e9), undefined, 0)).toBe(50);
    expect(cpuPercent(metrics(3e9, 9e9), { usageNs: 1e9, atNs: 1e9 }, 2e9)).toBe(200);
    expect(cpuPercent(metrics(1e9, 0), undefined, 0)).toBe(0);
  });

  it("keeps the latest usage of the containers asked for and forgets the others", async () => {
    let cpu = 0;
    let now = 0;
    const garden = {
      bulkMetrics: async (handles: string[]) =>
        Object.fromEntries(
          handles.map((h) =>
            h === "broken"
              ? [h, { error: new Error("gone") }]
              : [h, { metrics: metrics(cpu, 1e9, { total_rss: 1 << 20 }) }],
          ),
        ),
    };
    const sampler = new UsageSampler(garden, () => now);
    cpu = 1e8;
    now = 1e9;
    await sampler.sample(["a", "broken"]);
    expect(sampler.latest("a")).toEqual({ cpuPercent: 10, memoryBytes: 1 << 20, diskBytes: 4096 });
    expect(sampler.latest("broken")).toBeUndefined();
    cpu = 1e8 + 2.5e8;
    now = 2e9;
    await sampler.sample(["a"]);
    expect(sampler.latest("a")?.cpuPercent).toBe(25);
    await sampler.sample([]);
    expect(sampler.latest("a")).toBeUndefined();
  });
});
