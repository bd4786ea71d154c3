import { z } from "@hono/zod-openapi";
import { Invalid } from "../errors";

/** `limit` and `cursor` query parameters of every list route. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ description: "items per page" }),
  cursor: z.string().max(512).optional().openapi({ description: "next_cursor of the previous page" }),
});
export type PageQuery = z.output<typeof PageQuery>;

/** A page of items with the cursor of the next page (null on the last page). */
export function pageOf<S extends z.ZodType>(item: S) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

/**
 * Encodes a sort key as an opaque cursor (base64url JSON), so clients cannot depend on its shape.
 *
 * @example
 * encodeCursor(["web"]) // "WyJ3ZWIiXQ"
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** Decodes a cursor made by `encodeCursor` with `arity` parts; throws `Invalid` naming `cursor`. */
export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  const bad = () =>
    new Invalid("cursor is not one this api issued", [{ field: "cursor", message: "invalid" }]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  const ok =
    Array.isArray(key) &&
    key.length === arity &&
    key.every((part) => typeof part === "string" || typeof part === "number");
  if (!ok) throw bad();
  return key as (string | number)[];
}

/**
 * Cuts rows fetched with `limit + 1` into a page: when there is an extra row, the cursor points
 * after the last returned one.
 */
export function paginate<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => readonly (string | number)[],
): { items: T[]; next_cursor: string | null } {
  if (rows.length <= limit) return { items: rows, next_cursor: null };
  const items = rows.slice(0, limit);
  return { items, next_cursor: encodeCursor(keyOf(items[items.length - 1] as T)) };
}
