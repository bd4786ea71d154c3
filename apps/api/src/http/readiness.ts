import type { Database } from "@grove/db";
import type { NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";

/** Whether each dependency answered within the timeout. */
export interface Readiness {
  ready: boolean;
  checks: { postgres: boolean; nats: boolean };
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Asks Postgres (`select 1`) and NATS (a round trip to the server) at once. */
export async function checkReadiness(
  db: Database,
  nc: NatsConnection,
  timeoutMs = 1_000,
): Promise<Readiness> {
  const [postgres, nats] = await Promise.all([
    within(db.execute(sql`select 1`), timeoutMs).then(
      () => true,
      () => false,
    ),
    nc.isClosed()
      ? Promise.resolve(false)
      : within(nc.flush(), timeoutMs).then(
          () => true,
          () => false,
        ),
  ]);
  return { ready: postgres && nats, checks: { postgres, nats } };
}
