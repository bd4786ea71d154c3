import { readFile } from "node:fs/promises";
import type { Logger } from "pino";

/** One line of /etc/subuid or /etc/subgid: `owner:first:count`. */
export interface SubordinateRange {
  file: string;
  owner: string;
  first: number;
  count: number;
}

/** Parses /etc/subuid-style text; lines that are not `owner:first:count` are skipped. */
export function parseSubordinateIds(file: string, text: string): SubordinateRange[] {
  const ranges: SubordinateRange[] = [];
  for (const line of text.split("\n")) {
    const match = /^([^:#\s][^:]*):(\d+):(\d+)\s*$/.exec(line.trim());
    if (match)
      ranges.push({ file, owner: match[1] as string, first: Number(match[2]), count: Number(match[3]) });
  }
  return ranges;
}

/**
 * The ranges delegated to other users (rootless podman, newuidmap) that share host ids with the
 * containers' mapping: their processes and ours would be the same host users. root's own entries
 * are ours to use.
 */
export function overlappingRanges(
  mapping: { hostId: number; size: number },
  ranges: readonly SubordinateRange[],
): SubordinateRange[] {
  const end = mapping.hostId + mapping.size;
  return ranges.filter(
    (range) =>
      range.owner !== "root" &&
      range.owner !== "0" &&
      range.first < end &&
      range.first + range.count > mapping.hostId,
  );
}

/** Reads /etc/subuid and /etc/subgid (a missing file holds no ranges). */
export async function readSubordinateIds(
  files: readonly string[] = ["/etc/subuid", "/etc/subgid"],
): Promise<SubordinateRange[]> {
  const all = await Promise.all(
    files.map(async (file) => parseSubordinateIds(file, await readFile(file, "utf8").catch(() => ""))),
  );
  return all.flat();
}

/**
 * Logs, once at start, the ranges of /etc/subuid and /etc/subgid that other users' rootless
 * containers may use inside the containers' mapping (a host shared with rootless podman); the
 * runtime still starts, since an unused delegation is harmless.
 */
export function warnOfSharedIds(
  mapping: { hostId: number; size: number },
  ranges: readonly SubordinateRange[],
  logger: Logger,
): void {
  const shared = overlappingRanges(mapping, ranges);
  if (shared.length === 0) return;
  logger.warn(
    {
      mapping,
      shared: shared.map((range) => `${range.file} ${range.owner}:${range.first}:${range.count}`),
    },
    "host ids of the containers' user namespace mapping are also delegated to other users; their rootless containers would share ids with these (set uidMapping to a range of its own)",
  );
}
