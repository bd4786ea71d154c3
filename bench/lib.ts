import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";

/** The p-th percentile (0–100) of `values`, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The 1-minute load average, sampled every second from the moment a bench loads this module. */
const loadSamples: number[] = [loadavg()[0] ?? 0];
setInterval(() => loadSamples.push(loadavg()[0] ?? 0), 1_000).unref();

/** The load average while the bench ran: at its start, mean and highest of the samples. */
export function loadDuringRun(): { start: number; mean: number; max: number } {
  const samples = [...loadSamples, loadavg()[0] ?? 0];
  return {
    start: round(samples[0] ?? 0),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    max: round(Math.max(...samples)),
  };
}

/**
 * Prints `rows` as an aligned table, with the load average during the run (a figure taken on a busy
 * machine needs a quiet re-run), and writes `{ ...result, load, machine }` to bench/results/<name>.json.
 */
export function report(
  name: string,
  rows: [string, string | number][],
  result: Record<string, unknown>,
): string {
  const load = loadDuringRun();
  const busy = load.mean > cpus().length;
  const all: [string, string | number][] = [
    ...rows,
    [
      "load average (1 min) during the run: start / mean / max",
      `${load.start} / ${load.mean} / ${load.max} on ${cpus().length} cpus${busy ? " (busy: re-run quiet)" : ""}`,
    ],
  ];
  const width = Math.max(...all.map(([label]) => label.length));
  console.log(`\n${name}`);
  for (const [label, value] of all) {
    console.log(`  ${label.padEnd(width)}  ${typeof value === "number" ? round(value) : value}`);
  }
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const machine = {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    memory_bytes: totalmem(),
    node: process.version,
    // the 1, 5 and 15 minute load averages when the run ended: figures taken under load need a quiet re-run
    load_average: loadavg(),
  };
  const loadNote = busy ? { load_note: "taken under load: needs a quiet re-run" } : {};
  writeFileSync(
    file,
    `${JSON.stringify({ ...result, load, ...loadNote, machine, at: new Date().toISOString() }, null, 2)}\n`,
  );
  console.log(`\nwrote ${file}`);
  return file;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * How fast this machine is now, in milliseconds for a fixed piece of single-threaded work of the kind
 * the control plane does (a 100-instance heartbeat serialised, parsed and hashed 1,000 times): the
 * best of nine tries. Machines of one kind have run the same code twice as fast on one day as on
 * another (and this figure, 140–155 ms on one, read 225 ms for seconds at a time), so a bench's
 * figures are read beside this one (lower is faster) before comparing runs.
 */
export function machineReferenceMs(): number {
  const beat = {
    v: 2,
    cellId: randomUUID(),
    seq: 1,
    at: new Date(0).toISOString(),
    instances: Array.from({ length: 100 }, (_, index) => ({
      instanceId: randomUUID(),
      appId: randomUUID(),
      revision: 1,
      index,
      state: "RUNNING",
    })),
  };
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 9; attempt++) {
    const started = performance.now();
    for (let i = 0; i < 1_000; i++) {
      const text = JSON.stringify({ ...beat, seq: i });
      const parsed = JSON.parse(text) as typeof beat;
      createHash("sha256").update(JSON.stringify(parsed.instances)).digest("hex");
    }
    best = Math.min(best, performance.now() - started);
  }
  return round(best);
}
