import { type Database, schema } from "@grove/db";
import { lt } from "drizzle-orm";
import type { Logger } from "pino";
import { IDEMPOTENCY_KEY_TTL_MS } from "./http/idempotency";
import { type Loop, startLoop } from "./loop";
import { type Pruned, pruneRetained } from "./repo/retention";

const { idempotencyKeys, appliedEvents } = schema;

/** Applied-event ids are kept a day longer than the instance events stream keeps events. */
const APPLIED_EVENTS_TTL_MS = 8 * 24 * 3600_000;

/** How long stopped instances, superseded revisions, spent join tokens and lost cells are kept by default. */
export const DEFAULT_RETENTION_MS = 24 * 3600_000;

/**
 * Deletes expired idempotency keys and applied-event ids, and what is older than `retentionMs`
 * (`pruneRetained`), so those tables stay bounded.
 */
export async function pruneExpired(
  db: Database,
  now = new Date(),
  retentionMs = DEFAULT_RETENTION_MS,
): Promise<Pruned> {
  await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS)));
  await db
    .delete(appliedEvents)
    .where(lt(appliedEvents.appliedAt, new Date(now.getTime() - APPLIED_EVENTS_TTL_MS)));
  return pruneRetained(db, new Date(now.getTime() - retentionMs));
}

/**
 * Runs `pruneExpired` every ten minutes (leader only); `onCellsExpired` runs when lost cells were
 * removed (their NATS users are to be revoked).
 */
export function startMaintenanceLoop(
  db: Database,
  log: Logger,
  options: { retentionMs?: number; onCellsExpired?: () => Promise<void> } = {},
): Loop {
  const child = log.child({ component: "api.maintenance" });
  return startLoop(
    "maintenance",
    10 * 60_000,
    async () => {
      const pruned = await pruneExpired(db, new Date(), options.retentionMs);
      if (Object.values(pruned).some((n) => n > 0)) child.info(pruned, "pruned");
      if (pruned.expiredCells > 0) await options.onCellsExpired?.();
    },
    child,
  );
}
