import { type SQL, sql } from "drizzle-orm";
import { uuidPattern } from "../ids";

/**
 * A text expression as a uuid, or null when it is none (a cell's report may name anything): compared
 * with a uuid column, unlike `column::text = text`, it lets the column's index serve.
 */
export const textAsUuid = (text: SQL) =>
  sql`(case when ${text} ~* ${uuidPattern.source} then (${text})::uuid end)`;
