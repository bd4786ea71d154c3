import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Database = ReturnType<typeof connectDatabase>["db"];

/**
 * Queries with at most this many parameters run as prepared statements, kept per connection by
 * their text: texts with more (long `in (…)` lists, whose text changes with their length) are rare
 * bulk statements, and keeping each would grow every connection's statements without bound.
 */
const PREPARED_MAX_PARAMETERS = 32;

// the parts of postgres.js' client the wrapper touches (its own types are overloaded generics)
type Unsafe = (query: string, parameters?: unknown[], options?: { prepare?: boolean }) => unknown;
interface Wrappable {
  unsafe: Unsafe;
  begin?: (...args: unknown[]) => unknown;
  savepoint?: (...args: unknown[]) => unknown;
}

/**
 * Drizzle sends every query unnamed (`prepare: false`), and postgres.js then has Postgres parse and
 * describe it (to learn its parameters' types) and waits for that before binding it: two round
 * trips per query, and nothing sent after it on that connection goes out before the first returns.
 * Prepared, a query's description is kept per connection, so it is one round trip (and queries sent
 * together on a transaction's connection are pipelined). Plans stay custom (`plan_cache_mode`), as
 * for unnamed queries: a generic plan for `written_by >= $1` would not know that `$1` is recent.
 */
function preparing<T extends Wrappable>(sql: T): T {
  const unsafe = sql.unsafe.bind(sql);
  sql.unsafe = (query, parameters, options) =>
    unsafe(query, parameters, {
      ...options,
      // drizzle always says false (true only for queries it was asked to name)
      prepare: options?.prepare === true || (parameters?.length ?? 0) <= PREPARED_MAX_PARAMETERS,
    });
  // a transaction's (or savepoint's) handle is another client: prepared the same way
  for (const name of ["begin", "savepoint"] as const) {
    const original = sql[name]?.bind(sql);
    if (!original) continue;
    sql[name] = (...args: unknown[]) => {
      const body = args.pop() as (tx: Wrappable) => unknown;
      return original(...args, (tx: Wrappable) => body(preparing(tx)));
    };
  }
  return sql;
}

/** A pooled connection to Postgres with Grove's schema attached. Call `close()` on shutdown. */
export function connectDatabase(url: string, options: { max?: number } = {}) {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { plan_cache_mode: "force_custom_plan" },
  });
  preparing(client as unknown as Wrappable);
  const db = drizzle(client, { schema });
  return { db, client, close: () => client.end({ timeout: 5 }) };
}

/** The handle inside `db.transaction(async (tx) => …)`. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
