import { z } from "zod";

/**
 * Helpers that make zod read JSON the way Go's encoding/json does for the Garden types: object keys
 * match struct tags case-insensitively (an exact match wins), unknown keys are ignored, and `null`
 * leaves the field at its zero value.
 */

/** Maps each key of `value` onto the matching key of `shape` (exact first, then case-insensitive). */
export function matchGoKeys(value: unknown, keys: readonly string[]): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  const lower = new Map(keys.map((k) => [k.toLowerCase(), k]));
  for (const [key, field] of Object.entries(value)) {
    const target = keys.includes(key) ? key : lower.get(key.toLowerCase());
    if (target !== undefined && field !== null) out[target] = field;
  }
  return out;
}

/** A Go struct: an object whose keys match case-insensitively; `null` is the zero value. */
export function goStruct<S extends z.ZodRawShape>(shape: S) {
  const keys = Object.keys(shape);
  return z.preprocess((value) => (value === null ? {} : matchGoKeys(value, keys)), z.object(shape).partial());
}

/** A Go slice: `null` is an empty slice. */
export function goSlice<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => (value === null ? [] : value), z.array(item));
}

const unsigned = (bits: number) =>
  z
    .number()
    .int(`expected an integer (uint${bits})`)
    .min(0, `expected a non-negative integer (uint${bits})`)
    .max(bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1, `out of range for uint${bits}`);

export const uint8 = unsigned(8);
export const uint16 = unsigned(16);
export const uint32 = unsigned(32);
export const uint64 = unsigned(64);
export const int64 = z.number().int("expected an integer (int64)");

/** Go's map[string]string */
export const stringMap = z.preprocess(
  (value) => (value === null ? {} : value),
  z.record(z.string(), z.string()),
);

/** Encodes one value the way Go's json.Encoder does: the JSON text followed by a newline. */
export function encodeGo(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** Drops zero-valued fields, as Go's `omitempty` does for numbers, strings and booleans. */
export function omitEmpty<T extends Record<string, unknown>>(value: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined || field === null || field === 0 || field === "" || field === false) continue;
    out[key] = field;
  }
  return out as Partial<T>;
}

/** Turns a zod failure into one readable line naming the offending field. */
export function describeIssues(what: string, error: z.ZodError): string {
  const issues = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(body)";
    return `${path}: ${issue.message}`;
  });
  return `invalid ${what}: ${issues.join("; ")}`;
}
