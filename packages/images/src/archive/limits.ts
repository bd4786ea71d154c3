/**
 * What one archive may hold. Every check of the planner costs at most a constant per entry,
 * per path segment or per link followed, so these bound both memory and time.
 */
export interface ArchiveLimits {
  /** members of the archive, directories included */
  maxEntries: number;
  /** bytes of the uncompressed tar stream; decompression stops here (a gzip bomb is cut off) */
  maxUnpackedBytes: number;
  /** bytes of a member's name or a link's target (PATH_MAX is 4096) */
  maxPathLength: number;
  /** symlinks plus hard links */
  maxLinks: number;
  /** symlinks followed while resolving one link's target (Linux gives up after 40) */
  maxLinkDepth: number;
  /** path segments walked while resolving all the archive's symlinks, in total */
  maxLinkSteps: number;
}

/** Defaults for app bits: a large app fits, a hostile archive is refused within seconds. */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 100_000,
  maxUnpackedBytes: 1024 ** 3,
  maxPathLength: 4096,
  maxLinks: 10_000,
  maxLinkDepth: 40,
  maxLinkSteps: 10_000_000,
};

/** Longest single path segment (NAME_MAX). */
export const MAX_SEGMENT_BYTES = 255;
