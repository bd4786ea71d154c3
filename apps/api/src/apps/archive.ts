import {
  APP_BITS_RULES,
  ARCHIVE_LIMIT_SETTINGS,
  ArchiveLimitExceeded,
  type ArchiveLimits,
  type ArchivePlan,
  InvalidArchive,
  planArchive,
} from "@grove/images/archive";
import { UnprocessableArchive } from "../errors";

/**
 * Plans the uploaded tar (or gzipped tar) at `path` with the rules and limits the agents unpack it
 * with, so what an agent would refuse is refused here. Throws `UnprocessableArchive` (422) naming
 * the member and, when one was passed, the limit and its setting.
 */
export async function validateArchive(path: string, limits: ArchiveLimits): Promise<ArchivePlan> {
  let plan: ArchivePlan;
  try {
    plan = await planArchive(path, { ...APP_BITS_RULES, limits });
  } catch (error) {
    if (!(error instanceof InvalidArchive)) throw error;
    const limit =
      error instanceof ArchiveLimitExceeded
        ? { name: error.limit, setting: ARCHIVE_LIMIT_SETTINGS[error.limit], max: error.max }
        : undefined;
    const detail = limit ? `${error.message}; the operator sets it with ${limit.setting}` : error.message;
    throw new UnprocessableArchive(detail, error.entry, limit);
  }
  if (plan.entries === 0) throw new UnprocessableArchive("invalid archive: the archive is empty");
  return plan;
}
