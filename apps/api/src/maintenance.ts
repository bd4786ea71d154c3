import { type Database, schema } from "@grove/db";
import { lt } from "drizzle-orm";
import type { Logger } from "pino";
import { IDEMPOTENCY_KEY_TTL_MS } from "./http/idempotency";
import { type Loop, startLoop } from "./loop";

const { idempotencyKeys, appliedEvents } = schema;

/** Applied-event ids are kept a day longer than the instance events stream keeps events. */
const APPLIED_EVENTS_TTL_MS = 8 * 24 * 3600_000;

/** Deletes expired idempotency keys and applied-event ids, so those tables stay bounded. */
export async function pruneExpired(db: Database, now = new Date()): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS)));
  await db
    .delete(appliedEvents)
    .where(lt(appliedEvents.appliedAt, new Date(now.getTime() - APPLIED_EVENTS_TTL_MS)));
}

/** Runs `pruneExpired` every ten minutes (leader only). */
export function startMaintenanceLoop(db: Database, log: Logger): Loop {
  const child = log.child({ component: "api.maintenance" });
  return startLoop("maintenance", 10 * 60_000, () => pruneExpired(db), child);
}
