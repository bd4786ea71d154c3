import { randomBytes } from "node:crypto";
import { type Database, schema, type Transaction } from "@grove/db";
import { and, asc, eq, gt, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { Conflict, NotFound } from "../errors";
import { isUuid, uuidArray } from "../ids";

const { cells } = schema;
export type CellRow = typeof cells.$inferSelect;

/** True when `id` can be a cell id (a UUID); anything else names no cell and must not reach a uuid column. */
export const isCellId = isUuid;

/** What a register request sets on the new cell. */
export type NewCell = Pick<
  CellRow,
  | "name"
  | "zone"
  | "address"
  | "memoryMb"
  | "diskMb"
  | "maxContainers"
  | "tags"
  | "stacks"
  | "natsPublicKey"
  | "joinTokenId"
>;

/**
 * Creates a cell. Names are unique; a second cell with the same hostname (an agent that lost its
 * state and re-joined) gets a suffix so both stay visible. Takes no error path on a taken name, so
 * it can run inside the registration's transaction.
 */
export async function insertCell(db: Database | Transaction, cell: NewCell): Promise<CellRow> {
  for (let attempt = 0; ; attempt++) {
    const name = attempt === 0 ? cell.name : `${cell.name}-${randomBytes(3).toString("hex")}`;
    const [row] = await db
      .insert(cells)
      .values({ ...cell, name, lastHeartbeatAt: new Date() })
      .onConflictDoNothing({ target: cells.name })
      .returning();
    if (row) return row;
    if (attempt >= 3) throw new Error(`no free cell name for ${cell.name}`);
  }
}

/**
 * The cell that registered with this join token and NATS public key and has not reported since
 * (nor been removed): a registration retried because its reply was lost. Once the cell has
 * heartbeated, its agent holds its identity and a retry is nobody's but an impostor's.
 */
export async function unreportedCellOf(
  tx: Transaction,
  joinTokenId: string,
  natsPublicKey: string,
): Promise<CellRow | undefined> {
  const [row] = await tx
    .select()
    .from(cells)
    .where(
      and(
        eq(cells.joinTokenId, joinTokenId),
        eq(cells.natsPublicKey, natsPublicKey),
        isNull(cells.removedAt),
        isNull(cells.lastReport),
      ),
    );
  return row;
}

/** True when `cellId` names a cell that joined (removed or not). */
export async function cellExists(db: Database, cellId: string): Promise<boolean> {
  if (!isCellId(cellId)) return false;
  const [row] = await db.select({ id: cells.id }).from(cells).where(eq(cells.id, cellId));
  return row !== undefined;
}

/**
 * Records an authenticated full report (a state sync); a lost cell that reports again is active again
 * (unless removed). The digest is cleared, so the cell's next heartbeat is written too.
 */
export async function recordHeartbeat(db: Database, cellId: string, report: unknown): Promise<void> {
  await db
    .update(cells)
    .set({
      lastHeartbeatAt: new Date(),
      lastReport: report,
      reportDigest: null,
      state: sql`case when ${cells.state} = 'lost' and ${cells.removedAt} is null then 'active'::cell_state else ${cells.state} end`,
    })
    .where(eq(cells.id, cellId));
}

/** What became of a heartbeat: stored, not needed (nothing changed), or from no known cell. */
export type HeartbeatWrite = "written" | "unchanged" | "unknown-cell";

/**
 * Stores a heartbeat only when it says something new (its state digest differs from the stored one),
 * the cell is lost (it is active again, unless removed), or the stored one is older than `refreshMs`.
 * A refresh of an unchanged report rewrites the report only if its usage changed: otherwise it moves
 * `last_heartbeat_at` alone, and the report (a TOASTed jsonb of every instance, several rows of its
 * own to rewrite) keeps its place. A write renews the cell's subnet lease by `leaseTtlMs` once a third
 * of that has passed since the last renewal (refreshes come at least that often, see
 * `heartbeatRefreshMs`, so a beating cell's lease never runs out). One statement, which writes no
 * row for a heartbeat that changes nothing: liveness is the leader's, in memory (`CellLiveness`).
 */
export async function recordHeartbeatIfChanged(
  db: Database,
  cellId: string,
  report: { digests: { state: string; whole: string }; json: string },
  options: { refreshMs: number; leaseTtlMs?: number },
): Promise<HeartbeatWrite> {
  if (!isCellId(cellId)) return "unknown-cell";
  // stored as "<state>.<whole>" (base64url has no dot); a state sync stores none, so the next beat is written
  const stored = `${report.digests.state}.${report.digests.whole}`;
  const leaseSeconds = (options.leaseTtlMs ?? 0) / 1000;
  const [row] = await db.execute<{ known: boolean; written: boolean }>(sql`
    with beat as (
      update cells set last_heartbeat_at = now(),
        last_report = case when report_digest is distinct from ${stored} then ${report.json}::jsonb
          else last_report end,
        report_digest = ${stored},
        state = case when state = 'lost' and removed_at is null then 'active'::cell_state else state end
      where id = ${cellId} and (split_part(report_digest, '.', 1) is distinct from ${report.digests.state}
        or state = 'lost' or last_heartbeat_at is null
        or last_heartbeat_at < now() - make_interval(secs => ${options.refreshMs / 1000}))
      returning id
    ), lease as (
      update subnet_leases set expires_at = now() + make_interval(secs => ${leaseSeconds})
      where ${options.leaseTtlMs !== undefined} and cell_id in (select id from beat)
        and expires_at < now() + make_interval(secs => ${(leaseSeconds * 2) / 3})
    )
    select exists (select 1 from cells where id = ${cellId}) as known, exists (select 1 from beat) as written`);
  if (!row?.known) return "unknown-cell";
  return row.written ? "written" : "unchanged";
}

/**
 * Marks lost every active or draining cell silent for longer than `ttlMs`: neither stored a heartbeat
 * in that time nor is in `alive` (the cells the leader heard from within it); returns their ids.
 */
export async function markSilentCellsLost(
  db: Database,
  ttlMs: number,
  alive: readonly string[] = [],
): Promise<string[]> {
  const cutoff = new Date(Date.now() - ttlMs);
  const rows = await db
    .update(cells)
    .set({ state: "lost" })
    .where(
      and(
        inArray(cells.state, ["active", "draining"]),
        lt(cells.lastHeartbeatAt, cutoff),
        // an array, not a set from jsonb: that was evaluated per cell (350 ms at 1,000 cells)
        sql`not (${cells.id} = any (${uuidArray(alive.filter(isCellId))}::uuid[]))`,
      ),
    )
    .returning({ id: cells.id });
  return rows.map((row) => row.id);
}

/** Cells ordered by name. */
export function listCells(db: Database, limit: number, afterName?: string): Promise<CellRow[]> {
  return db
    .select()
    .from(cells)
    .where(afterName === undefined ? undefined : gt(cells.name, afterName))
    .orderBy(asc(cells.name))
    .limit(limit);
}

export async function cellById(db: Database, id: string): Promise<CellRow> {
  const [row] = isCellId(id) ? await db.select().from(cells).where(eq(cells.id, id)) : [];
  if (!row) throw new NotFound(`no cell ${id}`);
  return row;
}

/** Puts a cell in `draining`: no new placements; its instances move elsewhere. */
export async function drainCell(db: Database, id: string): Promise<CellRow> {
  const [row] = isCellId(id)
    ? await db.update(cells).set({ state: "draining" }).where(eq(cells.id, id)).returning()
    : [];
  if (!row) throw new NotFound(`no cell ${id}`);
  return row;
}

/**
 * Puts a drained cell back in service (`active`: placement may use it again). An active cell is
 * left as it is; a lost cell is a `Conflict` (it becomes active again when it heartbeats).
 */
export async function undrainCell(db: Database, id: string): Promise<CellRow> {
  const [row] = isCellId(id)
    ? await db
        .update(cells)
        .set({ state: "active" })
        .where(and(eq(cells.id, id), inArray(cells.state, ["active", "draining"])))
        .returning()
    : [];
  if (row) return row;
  const cell = await cellById(db, id);
  throw new Conflict(`cell ${cell.name} is ${cell.state}; it becomes active again when it heartbeats`);
}

/**
 * Removes a cell for good: `lost` at once (convergence replaces its instances elsewhere, placement
 * skips it) and marked removed, so its NATS user belongs in the account's revocations.
 */
export async function removeCell(db: Database, id: string): Promise<CellRow> {
  const [row] = isCellId(id)
    ? await db
        .update(cells)
        .set({ state: "lost", removedAt: sql`coalesce(${cells.removedAt}, now())` })
        .where(eq(cells.id, id))
        .returning()
    : [];
  if (!row) throw new NotFound(`no cell ${id}`);
  return row;
}

/** The NATS user keys of removed cells, each with when it was removed (unix seconds). */
export async function removedCellNatsKeys(db: Database): Promise<Record<string, number>> {
  const rows = await db
    .select({ key: cells.natsPublicKey, removedAt: cells.removedAt })
    .from(cells)
    .where(and(isNotNull(cells.removedAt), isNotNull(cells.natsPublicKey)));
  const revocations: Record<string, number> = {};
  for (const row of rows)
    if (row.key && row.removedAt) revocations[row.key] = Math.ceil(row.removedAt.getTime() / 1000);
  return revocations;
}
