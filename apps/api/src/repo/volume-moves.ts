import type { Database } from "@grove/db";
import { sql } from "drizzle-orm";

/*
 * Cluster-wide queries of the leader's volume data loop (moves off draining cells, restores). Like
 * placement, they span all tenants on purpose and are not reachable from an HTTP handler.
 */

/** A volume whose data is to be copied off its draining cell into the store. */
export interface DueExport {
  volumeId: string;
  cellId: string;
}

/** A volume whose data is to be copied from the store onto the cell placement chose. */
export interface DueImport {
  volumeId: string;
  cellId: string;
  sizeMb: number;
  sourceObject: string;
}

/**
 * Brings volume states up to date with their cells: a volume on a draining cell is `moving`; one
 * still on its cell when that cell is put back in service is `ready` again; one whose copy was to
 * go to a cell that is now lost gets no cell (placement chooses another).
 */
export async function settleVolumeStates(db: Database): Promise<void> {
  await db.execute(sql`
    update volumes v set state = 'moving', reason = null
    from cells c where c.id = v.cell_id and c.state = 'draining' and v.state = 'ready'`);
  await db.execute(sql`
    update volumes v set state = 'ready', reason = null
    from cells c where c.id = v.cell_id and c.state = 'active' and v.state = 'moving'
      and v.source_object is null`);
  await db.execute(sql`
    update volumes v set cell_id = null
    from cells c where c.id = v.cell_id and c.state = 'lost' and v.source_object is not null`);
}

/**
 * Volumes moving off a draining cell that is still there, once no instance on it holds them (every
 * instance of a revision that mounts them is stopped or elsewhere).
 */
export async function dueExports(db: Database): Promise<DueExport[]> {
  const rows = await db.execute<{ volume_id: string; cell_id: string }>(sql`
    select v.id as volume_id, v.cell_id
    from volumes v join cells c on c.id = v.cell_id
    where v.state = 'moving' and v.source_object is null and c.state = 'draining'
      and not exists (select 1 from instances x
        join app_revisions r on r.app_id = x.app_id and r.revision = x.revision
        where x.cell_id = v.cell_id and x.state in ('PLACED', 'STARTING', 'RUNNING', 'CRASHED')
          and r.volumes @> jsonb_build_array(jsonb_build_object('volumeId', v.id::text)))`);
  return [...rows].map((r) => ({ volumeId: r.volume_id, cellId: r.cell_id }));
}

/**
 * A move's data is in the store: the volume leaves its old cell (placement chooses the next one)
 * and its data comes from `sourceObject`. Only while it is still moving off `cellId` and that cell
 * is still draining: a cell put back in service while its volume was being copied keeps the volume
 * (its data never left; the copy is the caller's to delete).
 */
export async function recordExported(db: Database, move: DueExport, sourceObject: string): Promise<boolean> {
  const rows = await db.execute(sql`
    update volumes v set cell_id = null, source_object = ${sourceObject}, reason = null
    from cells c
    where v.id = ${move.volumeId} and v.cell_id = ${move.cellId} and v.state = 'moving'
      and v.source_object is null and c.id = v.cell_id and c.state = 'draining'
    returning v.id`);
  return rows.length > 0;
}

/** Volumes whose data is to come from the store onto the cell placement claimed for them. */
export async function dueImports(db: Database): Promise<DueImport[]> {
  const rows = await db.execute<{
    volume_id: string;
    cell_id: string;
    size_mb: number;
    source_object: string;
  }>(
    sql`
    select v.id as volume_id, v.cell_id, v.size_mb, v.source_object
    from volumes v join cells c on c.id = v.cell_id
    where v.source_object is not null and c.state <> 'lost'`,
  );
  return [...rows].map((r) => ({
    volumeId: r.volume_id,
    cellId: r.cell_id,
    sizeMb: r.size_mb,
    sourceObject: r.source_object,
  }));
}

/** The data is on its cell: the volume is ready and its instances may start. */
export async function recordImported(db: Database, copy: DueImport): Promise<boolean> {
  const rows = await db.execute(sql`
    update volumes set state = 'ready', source_object = null, reason = null
    where id = ${copy.volumeId} and cell_id = ${copy.cellId} and source_object = ${copy.sourceObject}
    returning id`);
  return rows.length > 0;
}

/** Why the last copy of a volume's data failed (it is tried again). */
export async function recordCopyFailure(db: Database, volumeId: string, reason: string): Promise<void> {
  await db.execute(sql`update volumes set reason = ${reason.slice(0, 1000)} where id = ${volumeId}`);
}

/**
 * The store objects something still needs: every snapshot's archive and every volume's pending
 * source (a move or a restore not done yet).
 */
export async function neededObjects(db: Database): Promise<Set<string>> {
  const rows = await db.execute<{ name: string }>(sql`
    select 'snapshot-' || id::text as name from volume_snapshots
    union select source_object from volumes where source_object is not null`);
  return new Set([...rows].map((r) => r.name));
}

/** Whether any volume still comes from object `name` (a restore not done yet). */
export async function isSourceInUse(db: Database, name: string): Promise<boolean> {
  const rows = await db.execute(sql`select 1 from volumes where source_object = ${name} limit 1`);
  return rows.length > 0;
}
