import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/** A position in a list ordered by creation: the creation time (to the millisecond) and the id. */
export interface CreatedCursor {
  createdAt: Date;
  id: string;
}

/**
 * Order and cursor condition for lists ordered by `(created_at, id)`. Postgres keeps microseconds
 * and a cursor carries milliseconds, so both compare the time truncated to milliseconds.
 */
export function createdOrder(createdAt: PgColumn, id: PgColumn, after?: CreatedCursor) {
  const created = sql`date_trunc('milliseconds', ${createdAt})`;
  const where: SQL | undefined =
    after === undefined
      ? undefined
      : sql`(${created}, ${id}) > (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`;
  return { where, orderBy: [sql`${created} asc`, sql`${id} asc`] };
}

/** The cursor key of a row: what `encodeCursor` turns into `next_cursor`. */
export const createdKey = (row: { createdAt: Date; id: string }) => [row.createdAt.toISOString(), row.id];

/** The cursor decoded by `decodeCursor(cursor, 2)` back into a position. */
export function createdCursorOf(key: (string | number)[]): CreatedCursor {
  return { createdAt: new Date(String(key[0])), id: String(key[1]) };
}
