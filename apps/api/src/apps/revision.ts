import { isDeepStrictEqual } from "node:util";

/** The fields of an app whose change means new containers: a new revision. */
export const REVISION_FIELDS = [
  "stack",
  "command",
  "env",
  "memoryMb",
  "diskMb",
  "ports",
  "healthCheck",
  "bitsDigest",
  "volumes",
  "image",
] as const;
export type RevisionField = (typeof REVISION_FIELDS)[number];

/**
 * The names of the fields `patch` changes relative to `current`, split into those that make a new
 * revision and the rest (instances, state), which do not.
 */
export function changedFields<T extends Record<string, unknown>>(
  current: T,
  patch: Partial<T>,
): { revision: string[]; other: string[] } {
  const revision: string[] = [];
  const other: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined || isDeepStrictEqual(current[field], value)) continue;
    ((REVISION_FIELDS as readonly string[]).includes(field) ? revision : other).push(field);
  }
  return { revision, other };
}
