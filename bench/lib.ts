import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

/** The p-th percentile (0–100) of `values`, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Prints `rows` as an aligned table and writes `{ ...result, machine }` to bench/results/<name>.json. */
export function report(
  name: string,
  rows: [string, string | number][],
  result: Record<string, unknown>,
): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`\n${name}`);
  for (const [label, value] of rows) {
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
  };
  writeFileSync(file, `${JSON.stringify({ ...result, machine, at: new Date().toISOString() }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  return file;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
