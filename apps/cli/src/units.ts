import { UsageError } from "./errors";

const factors: Record<string, number> = {
  "": 1,
  m: 1,
  mb: 1,
  mi: 1,
  mib: 1,
  g: 1024,
  gb: 1024,
  gi: 1024,
  gib: 1024,
  t: 1024 * 1024,
  tb: 1024 * 1024,
};

/**
 * Parses a size as `grove push -m/-k` take it, in whole MiB: `256M`, `1G`, `1.5G`, `512` (MiB).
 * Throws `UsageError` naming the flag for anything else.
 *
 * @example
 * parseMegabytes("1G", "memory") // 1024
 */
export function parseMegabytes(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = match ? factors[(match[2] ?? "").toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new UsageError(`invalid ${what} "${text}": use a size like 256M or 1G`);
  }
  const megabytes = Number(match[1]) * factor;
  if (!Number.isInteger(megabytes) || megabytes < 1) {
    throw new UsageError(`invalid ${what} "${text}": must be a whole number of megabytes, at least 1M`);
  }
  return megabytes;
}

/** Parses a non-negative integer flag value, or throws `UsageError` naming the flag. */
export function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`invalid ${what} "${text}": must be a whole number`);
  return Number(text);
}

const durationFactors: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Parses a duration as `--expires-in` takes it, in whole seconds: `45s`, `90m`, `12h`, `30d`, `2w`
 * (one unit). Throws `UsageError` naming the flag for anything else.
 *
 * @example
 * parseDuration("30d", "expires-in") // 2592000
 */
export function parseDuration(text: string, what: string): number {
  const match = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(text);
  const factor = match ? durationFactors[(match[2] ?? "").toLowerCase()] : undefined;
  if (!match || factor === undefined || Number(match[1]) === 0) {
    throw new UsageError(`invalid ${what} "${text}": use a duration like 90m, 12h or 30d`);
  }
  return Number(match[1]) * factor;
}

/** A byte count for people: `512 B`, `12.3 kB`, `4.0 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = "B";
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

/** A byte count in binary units, as memory and disk limits are shown: `0.5M`, `45.2M`, `1.3G`. */
export function formatBinary(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib < 1024 ? `${mib.toFixed(1)}M` : `${(mib / 1024).toFixed(1)}G`;
}

/** A memory size in MiB for people: `256M`, `1G`, `1536M`. */
export function formatMegabytes(megabytes: number): string {
  return megabytes % 1024 === 0 ? `${megabytes / 1024}G` : `${megabytes}M`;
}
