import type { Database } from "@grove/db";

/** A transaction of `Database.transaction`. */
export type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

/**
 * Sends a query now and returns its result's promise. Drizzle's queries are lazy (they run when
 * first awaited, and `await` calls `then` a microtask later), so queries passed to `send` one
 * after another, with no await between, reach the connection in that order: on a transaction's
 * connection they are pipelined (one round trip for all) and Postgres runs them in that order,
 * which is what lock order needs.
 */
export function send<T>(query: PromiseLike<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    query.then(resolve, reject);
  });
}

/**
 * Awaits the results of statements sent in order (`send`) and throws the first failure in that
 * order: after a statement fails, those sent after it fail too ("transaction aborted"), and one
 * of those may settle first.
 */
export async function inOrder<T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  for (const result of settled) if (result.status === "rejected") throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/**
 * A transaction's last statements, sent and not waited for inside it: its callback returns them
 * (`return new SentLast(inOrder([...]))`), so its COMMIT goes out right behind them, in their round
 * trip. `read` them once the transaction has returned. If one failed, Postgres answered the COMMIT
 * with a rollback (it does after any failed statement) and `read` throws that failure.
 */
export class SentLast<T> {
  private readonly settled: Promise<PromiseSettledResult<T>>;

  constructor(statements: Promise<T>) {
    // settled here, so a failure is handled (not "unhandled") before the transaction returns
    this.settled = statements.then(
      (value) => ({ status: "fulfilled", value }),
      (reason: unknown) => ({ status: "rejected", reason }),
    );
  }

  async read(): Promise<T> {
    const result = await this.settled;
    if (result.status === "rejected") throw result.reason;
    return result.value;
  }
}
