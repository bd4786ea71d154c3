/**
 * Tar archive planning with limits, pure of anything else in this package (node builtins,
 * tar-stream and zod only), so the api can plan uploads exactly as the agent will unpack them.
 */
export { APP_BITS_RULES } from "./bits-rules";
export { ArchiveLimitExceeded, type ArchiveLimitName, InvalidArchive } from "./errors";
export { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS, MAX_SEGMENT_BYTES } from "./limits";
export { ARCHIVE_LIMIT_SETTINGS, ArchiveLimitsEnv, archiveLimitsOf } from "./limits-config";
export { entrySegments, OPAQUE_WHITEOUT, WHITEOUT_PREFIX, type Whiteout, whiteoutOf } from "./paths";
export { type ArchivePlan, planArchive } from "./plan-archive";
export {
  ArchivePlanner,
  type DiskEntry,
  type DiskView,
  type MemberHeader,
  type PlanOptions,
} from "./planner";
export {
  type SpooledArchive,
  spoolArchive,
  type TarEntry,
  type TarReadOptions,
  tarEntries,
} from "./tar-source";
