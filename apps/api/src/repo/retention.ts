import type { Database } from "@grove/db";
import { sql } from "drizzle-orm";

/*
 * Cluster-wide pruning the leader's maintenance loop runs, so the tables the control loop reads stay
 * the size of what runs, not of everything that ever ran.
 */

/** What one pruning removed or expired. */
export interface Pruned {
  instances: number;
  revisions: number;
  joinTokens: number;
  /** lost cells silent past the retention, now removed (their NATS users belong in the revocations) */
  expiredCells: number;
}

/**
 * Deletes instances STOPPED before `before`, revisions older than `before` that are neither their
 * app's current one nor any remaining instance's, and join tokens that can join no more cells
 * (used up, expired or revoked) since before `before`; removes cells lost and silent since before
 * `before` (as `grove cells remove` does).
 */
export async function pruneRetained(db: Database, before: Date): Promise<Pruned> {
  const at = before.toISOString();
  return db.transaction(async (tx) => {
    const instances = await tx.execute(sql`
      delete from instances where state = 'STOPPED' and since < ${at}::timestamptz returning id`);
    const revisions = await tx.execute(sql`
      delete from app_revisions r using apps a
      where a.id = r.app_id and r.revision < a.revision and r.created_at < ${at}::timestamptz
        and not exists (select 1 from instances x where x.app_id = r.app_id and x.revision = r.revision)
      returning r.app_id`);
    const joinTokens = await tx.execute(sql`
      delete from join_tokens
      where (uses >= max_uses and created_at < ${at}::timestamptz)
        or expires_at < ${at}::timestamptz or revoked_at < ${at}::timestamptz
      returning id`);
    const expiredCells = await tx.execute(sql`
      update cells set removed_at = now()
      where state = 'lost' and removed_at is null and last_heartbeat_at < ${at}::timestamptz
      returning id`);
    return {
      instances: instances.length,
      revisions: revisions.length,
      joinTokens: joinTokens.length,
      expiredCells: expiredCells.length,
    };
  });
}
