import { InvalidArchive } from "./errors";
import { ArchivePlanner, type PlanOptions } from "./planner";
import { tarEntries } from "./tar-source";

/** What planning found: the archive is acceptable and holds this much. */
export interface ArchivePlan {
  entries: number;
  links: number;
  /** bytes of the uncompressed tar stream */
  unpackedBytes: number;
}

/**
 * Reads the tar (or gzipped tar) at `path` once and refuses it with `InvalidArchive` (or
 * `ArchiveLimitExceeded`, naming the limit) if unpacking it could escape its destination or go past
 * a limit, before anything is written. Both the api (at upload) and the agent (before unpacking)
 * call this, so what the agent would refuse is refused at upload.
 */
export async function planArchive(path: string, options: PlanOptions): Promise<ArchivePlan> {
  const planner = new ArchivePlanner(options);
  const counted = { bytes: 0 };
  try {
    for await (const entry of tarEntries(path, {
      maxUnpackedBytes: options.limits.maxUnpackedBytes,
      counted,
    })) {
      entry.resume();
      await planner.add(entry.header);
    }
  } catch (error) {
    if (error instanceof InvalidArchive || (error as NodeJS.ErrnoException).syscall !== undefined)
      throw error;
    throw new InvalidArchive(undefined, `not a tar archive: ${(error as Error).message}`);
  }
  return { entries: planner.entries, links: planner.links, unpackedBytes: counted.bytes };
}
