/**
 * Placement benchmark: 10,000 instances of 1,000 apps on 1,000 simulated cells (3 zones, varied
 * capacity) through @grove/scheduler. Pure CPU, no NATS or agents: it measures the scheduler only.
 * Baseline in the same run: a straightforward implementation of the same filter and score that
 * allocates per decision (filter/map over cell objects); it must choose exactly the same cells.
 *
 * `npx tsx bench/placement.ts` or `npm run bench -- placement`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type CellSnapshot, createPlacer, DEFAULT_WEIGHTS, place, type Work } from "@grove/scheduler";

const TARGET_PLACEMENTS_PER_SECOND = 20_000;

export interface PlacementBenchOptions {
  cells?: number;
  apps?: number;
  instances?: number;
  /** Timed repetitions of the whole batch; the median is reported. */
  runs?: number;
  seed?: number;
  /** Decisions the naive baseline makes (it costs ~2 ms each); its choices are compared with ours. */
  baselineDecisions?: number;
  print?: boolean;
  write?: boolean;
}

export interface PlacementBenchResult {
  cells: number;
  apps: number;
  instances: number;
  placements_per_second: number;
  /** Per second of CPU time: insensitive to other processes competing for the cores. */
  placements_per_cpu_second: number;
  batch_ms: number;
  best_batch_ms: number;
  mean_decision_ms: number;
  p50_decision_ms: number;
  p99_decision_ms: number;
  max_decision_ms: number;
  placer_build_ms: number;
  unplaced: number;
  unplaced_reasons: Record<string, number>;
  max_instances_of_one_app_on_one_cell: number;
  max_zone_imbalance_of_one_app: number;
  cell_memory_use_min: number;
  cell_memory_use_max: number;
  baseline_naive_placements_per_second: number;
  baseline_decisions_compared: number;
  speedup_vs_naive: number;
  identical_to_naive: boolean;
  target_placements_per_second: number;
  meets_target: boolean;
  machine: {
    cpu: string;
    cores: number;
    memory_gb: number;
    node: string;
    platform: string;
    /** 1-minute load average at the end: above the core count, other work was competing. */
    load_average_1m: number;
  };
  at: string;
}

/** mulberry32: a tiny seeded PRNG so every run places the same cluster. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function buildCells(n: number, rand: () => number): CellSnapshot[] {
  return Array.from({ length: n }, (_, i) => {
    const tags = [rand() < 0.35 ? "ssd" : "", rand() < 0.05 ? "gpu" : ""].filter(Boolean);
    return {
      id: `cell-${String(i).padStart(4, "0")}`,
      zone: `zone-${i % 3}`,
      state: "active" as const,
      capacity: {
        memoryMb: pick(rand, [16_384, 32_768, 65_536]),
        diskMb: pick(rand, [65_536, 131_072, 262_144]),
        containers: pick(rand, [100, 250]),
      },
      used: { memoryMb: 0, diskMb: 0, containers: 0 },
      tags,
      stacks: rand() < 0.5 ? ["busybox", "node"] : ["busybox"],
      appInstances: {},
    };
  });
}

/** Instance counts per app: skewed (a few big apps, many small ones), summing exactly to `total`. */
function instanceCounts(apps: number, total: number, rand: () => number): number[] {
  const weights = Array.from({ length: apps }, () => rand() ** 3 + 0.01);
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(1, Math.floor((w / sum) * total)));
  let diff = total - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; diff !== 0; i = (i + 1) % apps) {
    if (diff > 0) {
      counts[i] = (counts[i] as number) + 1;
      diff--;
    } else if ((counts[i] as number) > 1) {
      counts[i] = (counts[i] as number) - 1;
      diff++;
    }
  }
  return counts;
}

function buildWork(apps: number, total: number, rand: () => number): Work[] {
  const work: Work[] = [];
  instanceCounts(apps, total, rand).forEach((count, a) => {
    const roll = rand();
    const app = {
      appId: `app-${String(a).padStart(4, "0")}`,
      memoryMb: pick(rand, [128, 256, 512, 1024, 2048]),
      diskMb: pick(rand, [256, 1024, 2048]),
      stack: rand() < 0.2 ? "node" : "busybox",
      tags: roll < 0.02 ? ["gpu"] : roll < 0.12 ? ["ssd"] : [],
    };
    for (let index = 0; index < count; index++) work.push({ ...app, index });
  });
  return work;
}

/**
 * Same filter, zone rule and score as the scheduler, written the obvious way: new arrays on every decision.
 * It keeps each cell's balance score with the same floating-point steps, so ties break identically.
 */
function naivePlace(cells: CellSnapshot[], work: readonly Work[], limit: number): (string | undefined)[] {
  const state = [...cells]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((c) => {
      const [mw, dw, cw] = [
        1 / (3 * c.capacity.memoryMb),
        1 / (3 * c.capacity.diskMb),
        1 / (3 * c.capacity.containers),
      ];
      const base = c.used.memoryMb * mw + c.used.diskMb * dw + (c.used.containers + 1) * cw;
      return { ...c, used: { ...c.used }, mw, dw, cw, base, apps: new Map<string, number>() };
    });
  const zoneApps = new Map<string, number>();
  const ordered = [...work].sort(
    (a, b) =>
      a.index - b.index || b.memoryMb - a.memoryMb || (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0),
  );
  return ordered.slice(0, limit).map((w) => {
    const scored = state
      .filter((c) => c.stacks.includes(w.stack) && (w.tags ?? []).every((t) => c.tags.includes(t)))
      .filter((c) => c.capacity.memoryMb - c.used.memoryMb >= w.memoryMb)
      .filter((c) => c.capacity.diskMb - c.used.diskMb >= w.diskMb)
      .filter((c) => c.capacity.containers - c.used.containers >= 1)
      .map((c) => ({
        c,
        score:
          c.base +
          w.memoryMb * c.mw +
          w.diskMb * c.dw +
          DEFAULT_WEIGHTS.sameAppOnCell * (c.apps.get(w.appId) ?? 0),
      }));
    const zoneCount = (zone: string) => zoneApps.get(`${w.appId}/${zone}`) ?? 0;
    const fewest = Math.min(...scored.map((s) => zoneCount(s.c.zone)));
    const best = scored
      .filter((s) => zoneCount(s.c.zone) === fewest)
      .reduce<(typeof scored)[number] | undefined>((b, s) => (!b || s.score < b.score ? s : b), undefined);
    if (!best) return undefined;
    const c = best.c;
    c.used.memoryMb += w.memoryMb;
    c.used.diskMb += w.diskMb;
    c.used.containers += 1;
    c.base += w.memoryMb * c.mw + w.diskMb * c.dw + c.cw;
    c.apps.set(w.appId, (c.apps.get(w.appId) ?? 0) + 1);
    zoneApps.set(`${w.appId}/${c.zone}`, (zoneApps.get(`${w.appId}/${c.zone}`) ?? 0) + 1);
    return c.id;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const percentile = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
const round = (n: number, digits = 3) => Number(n.toFixed(digits));

/** Runs the benchmark; prints a table and writes bench/results/placement.json unless told not to. */
export function runPlacementBench(options: PlacementBenchOptions = {}): PlacementBenchResult {
  const { cells: cellCount = 1_000, apps = 1_000, instances = 10_000, runs = 7, seed = 42 } = options;
  const baselineDecisions = Math.min(options.baselineDecisions ?? 2_000, instances);
  const rand = prng(seed);
  const cells = buildCells(cellCount, rand);
  const work = buildWork(apps, instances, rand);
  const snapshot = { cells };

  place(snapshot, work); // warm-up: let the JIT compile the scan before timing
  const batchTimes: number[] = [];
  const cpuTimes: number[] = [];
  let result = place(snapshot, work);
  for (let r = 0; r < runs; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    result = place(snapshot, work);
    batchTimes.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  const batchMs = median(batchTimes);
  const batchCpuMs = median(cpuTimes);

  // Per-decision latency: the same decisions, one at a time, each timed.
  const t0 = performance.now();
  const placer = createPlacer(snapshot);
  const buildMs = performance.now() - t0;
  const ordered = result.placements.map((p) => p.work).concat(result.unplaced.map((u) => u.work));
  const latencies = new Float64Array(ordered.length);
  ordered.forEach((w, i) => {
    const start = performance.now();
    placer.place(w);
    latencies[i] = performance.now() - start;
  });
  latencies.sort();

  const naiveStart = performance.now();
  const naive = naivePlace(cells, work, baselineDecisions);
  const naiveMs = performance.now() - naiveStart;
  const ours = [...result.placements.map((p) => p.cellId), ...result.unplaced.map(() => undefined)];
  const identical = naive.every((id, i) => id === ours[i]);

  const onCell = new Map<string, number>();
  const inZone = new Map<string, number[]>();
  const memoryUsed = new Map<string, number>();
  const zoneOf = new Map(cells.map((c) => [c.id, Number(c.zone.slice(5))]));
  for (const p of result.placements) {
    const key = `${p.work.appId}/${p.cellId}`;
    onCell.set(key, (onCell.get(key) ?? 0) + 1);
    const zones = inZone.get(p.work.appId) ?? [0, 0, 0];
    zones[zoneOf.get(p.cellId) as number] = (zones[zoneOf.get(p.cellId) as number] as number) + 1;
    inZone.set(p.work.appId, zones);
    memoryUsed.set(p.cellId, (memoryUsed.get(p.cellId) ?? 0) + p.work.memoryMb);
  }
  const memoryUse = cells.map((c) => (memoryUsed.get(c.id) ?? 0) / c.capacity.memoryMb);
  const reasons: Record<string, number> = {};
  for (const u of result.unplaced) reasons[u.reason] = (reasons[u.reason] ?? 0) + 1;

  const perSecond = Math.round(work.length / (batchMs / 1000));
  const bench: PlacementBenchResult = {
    cells: cellCount,
    apps,
    instances: work.length,
    placements_per_second: perSecond,
    placements_per_cpu_second: Math.round(work.length / (batchCpuMs / 1000)),
    batch_ms: round(batchMs, 1),
    best_batch_ms: round(Math.min(...batchTimes), 1),
    mean_decision_ms: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length), 4),
    p50_decision_ms: round(percentile(latencies, 0.5), 4),
    p99_decision_ms: round(percentile(latencies, 0.99), 4),
    max_decision_ms: round(latencies[latencies.length - 1] ?? 0, 3),
    placer_build_ms: round(buildMs, 2),
    unplaced: result.unplaced.length,
    unplaced_reasons: reasons,
    max_instances_of_one_app_on_one_cell: Math.max(0, ...onCell.values()),
    max_zone_imbalance_of_one_app: Math.max(
      0,
      ...[...inZone.values()].map((z) => Math.max(...z) - Math.min(...z)),
    ),
    cell_memory_use_min: round(Math.min(...memoryUse)),
    cell_memory_use_max: round(Math.max(...memoryUse)),
    baseline_naive_placements_per_second: Math.round(baselineDecisions / (naiveMs / 1000)),
    baseline_decisions_compared: baselineDecisions,
    speedup_vs_naive: round(perSecond / (baselineDecisions / (naiveMs / 1000)), 1),
    identical_to_naive: identical,
    target_placements_per_second: TARGET_PLACEMENTS_PER_SECOND,
    meets_target: perSecond >= TARGET_PLACEMENTS_PER_SECOND,
    machine: {
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores: os.cpus().length,
      memory_gb: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      load_average_1m: round(os.loadavg()[0] ?? 0, 2),
    },
    at: new Date().toISOString(),
  };
  if (options.print ?? true) printTable(bench);
  if (options.write ?? true) writeResult(bench);
  return bench;
}

export const resultPath = join(dirname(fileURLToPath(import.meta.url)), "results", "placement.json");

function writeResult(bench: PlacementBenchResult): void {
  mkdirSync(dirname(resultPath), { recursive: true });
  writeFileSync(resultPath, `${JSON.stringify(bench, null, 2)}\n`);
}

function printTable(b: PlacementBenchResult): void {
  const rows: [string, string][] = [
    ["cluster", `${b.cells} cells, 3 zones; ${b.instances} instances of ${b.apps} apps`],
    [
      "placements/s (batch)",
      `${b.placements_per_second} (target ${b.target_placements_per_second}: ${b.meets_target ? "met" : "MISSED"})`,
    ],
    ["placements/s (CPU time)", String(b.placements_per_cpu_second)],
    ["batch time median / best", `${b.batch_ms} / ${b.best_batch_ms} ms (${b.instances} decisions)`],
    [
      "decision mean / p50 / p99 / max",
      `${b.mean_decision_ms} / ${b.p50_decision_ms} / ${b.p99_decision_ms} / ${b.max_decision_ms} ms`,
    ],
    ["placer build", `${b.placer_build_ms} ms`],
    [
      "naive baseline placements/s",
      `${b.baseline_naive_placements_per_second} (ours ${b.speedup_vs_naive}x)`,
    ],
    [
      "same choices as baseline",
      `${b.identical_to_naive} (first ${b.baseline_decisions_compared} decisions)`,
    ],
    ["unplaced", String(b.unplaced)],
    ["max instances of an app on a cell", String(b.max_instances_of_one_app_on_one_cell)],
    ["max zone imbalance of an app", String(b.max_zone_imbalance_of_one_app)],
    ["cell memory use min / max", `${b.cell_memory_use_min} / ${b.cell_memory_use_max}`],
    [
      "machine",
      `${b.machine.cpu} x${b.machine.cores}, node ${b.machine.node}, load ${b.machine.load_average_1m}`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n"));
}

/** Entry point for bench/run.ts: runs, prints, writes; resolves to the JSON file's path. */
export async function main(): Promise<string> {
  runPlacementBench();
  console.log(`wrote ${resultPath}`);
  return resultPath;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
