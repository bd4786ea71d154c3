import { z } from "zod";
import type { ArchiveLimitName } from "./errors";
import { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS } from "./limits";

const positiveInt = z.coerce.number().int().positive();
const d = DEFAULT_ARCHIVE_LIMITS;

/** The setting (environment variable) of each limit; the api and every agent must agree on them. */
export const ARCHIVE_LIMIT_SETTINGS = {
  entries: "GROVE_ARCHIVE_MAX_ENTRIES",
  unpackedBytes: "GROVE_ARCHIVE_MAX_UNPACKED_BYTES",
  pathLength: "GROVE_ARCHIVE_MAX_PATH_LENGTH",
  links: "GROVE_ARCHIVE_MAX_LINKS",
  linkDepth: "GROVE_ARCHIVE_MAX_LINK_DEPTH",
  linkSteps: "GROVE_ARCHIVE_MAX_LINK_STEPS",
} as const satisfies Record<ArchiveLimitName, string>;

/** Zod fields of the archive limits, to spread into an app's config schema. */
export const ArchiveLimitsEnv = z.object({
  GROVE_ARCHIVE_MAX_ENTRIES: positiveInt.default(d.maxEntries),
  GROVE_ARCHIVE_MAX_UNPACKED_BYTES: positiveInt.default(d.maxUnpackedBytes),
  GROVE_ARCHIVE_MAX_PATH_LENGTH: positiveInt.default(d.maxPathLength),
  GROVE_ARCHIVE_MAX_LINKS: positiveInt.default(d.maxLinks),
  GROVE_ARCHIVE_MAX_LINK_DEPTH: positiveInt.default(d.maxLinkDepth),
  GROVE_ARCHIVE_MAX_LINK_STEPS: positiveInt.default(d.maxLinkSteps),
});

/** The limits a parsed config names. */
export function archiveLimitsOf(config: z.output<typeof ArchiveLimitsEnv>): ArchiveLimits {
  return {
    maxEntries: config.GROVE_ARCHIVE_MAX_ENTRIES,
    maxUnpackedBytes: config.GROVE_ARCHIVE_MAX_UNPACKED_BYTES,
    maxPathLength: config.GROVE_ARCHIVE_MAX_PATH_LENGTH,
    maxLinks: config.GROVE_ARCHIVE_MAX_LINKS,
    maxLinkDepth: config.GROVE_ARCHIVE_MAX_LINK_DEPTH,
    maxLinkSteps: config.GROVE_ARCHIVE_MAX_LINK_STEPS,
  };
}
