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
type Unsafe = (
  query: string,
  parameters?: unknown[],
  options?: { prepare?: boolean; onexecute?: unknown },
) => unknown;
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
  const prepared: Unsafe = (query, parameters, options) =>
    unsafe(query, parameters, {
      ...options,
      // drizzle always says false (true only for queries it was asked to name)
      prepare: options?.prepare === true || (parameters?.length ?? 0) <= PREPARED_MAX_PARAMETERS,
    });
  sql.unsafe = (query, parameters, options) =>
    isBegin(query, options)
      ? beginPipelined(prepared, query, parameters, options)
      : prepared(query, parameters, options);
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

interface BeginOptions {
  prepare?: boolean;
  /** postgres.js' `begin` passes this: called with the connection once BEGIN is sent on it */
  onexecute: (connection: { reserved?: () => void }) => unknown;
}

/** The BEGIN of postgres.js' `begin`, which it sends through `unsafe` with `onexecute`. */
function isBegin(query: string, options?: { prepare?: boolean }): options is BeginOptions {
  return options !== undefined && "onexecute" in options && /^begin\b/i.test(query);
}

/**
 * postgres.js' `begin` costs round trips a transaction need not pay, and this takes them back:
 * - it waits for BEGIN's reply before it runs the transaction's body. BEGIN cannot fail but with
 *   its connection, and then every statement after it on that connection fails too, so its reply
 *   need not be waited for: `execute()` of this BEGIN settles once it is sent on a connection (which
 *   `begin` then reserves), and the body's first statements go out behind it, in its round trip;
 * - the pool leaves that connection among its full ones (`begin`'s `onexecute` returns nothing),
 *   where the transaction's statements wait in a queue and go out one per reply until the queue is
 *   empty: the statements the body sends first, together, would take a round trip each. The
 *   connection's `reserved()` (what `begin` gives it to run that queue) puts it back among the
 *   reserved ones while the queue is still empty, where statements are sent as they come.
 * Both are tested by the round trips an app update takes (apps/api/test/app-update.test.ts).
 */
function beginPipelined(
  unsafe: Unsafe,
  query: string,
  parameters: unknown[] | undefined,
  options: BeginOptions,
) {
  let sent!: () => void;
  let failed!: (error: unknown) => void;
  const onConnection = new Promise<void>((resolve, reject) => {
    sent = resolve;
    failed = reject;
  });
  const begin = unsafe(query, parameters, {
    ...options,
    onexecute: (connection: { reserved?: () => void }) => {
      const reserved = options.onexecute(connection);
      // after the pool has moved it (on return), before the body runs (queued before `sent`)
      queueMicrotask(() => connection.reserved?.());
      sent();
      return reserved;
    },
  }) as Promise<unknown> & { execute(): unknown };
  // failing before it was sent (the pool ending), `execute()` fails; after, the statements behind
  // it fail as well, and this failure is theirs (not an unhandled one)
  begin.catch(failed);
  return {
    execute: () => {
      begin.execute();
      return onConnection;
    },
  };
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
