import type { Database } from "@grove/db";
import { sql } from "drizzle-orm";
import { textAsUuid } from "./uuid";

/*
 * The volumes cells report in their heartbeats, against the volumes table. Cluster-wide, like the
 * other leader queries; not reachable from an HTTP handler.
 */

/**
 * Records, for volumes without a cell, the cell that reports holding their data (placement claims
 * a cell before the first start, so this only fills a claim that was lost). Never for a volume
 * whose data is on its way from the store (a move or a restore): the old copy is not its data.
 */
export async function recordReportedVolumeCells(db: Database): Promise<void> {
  await db.execute(sql`
    update volumes v set cell_id = c.id
    from cells c
    where v.cell_id is null and v.source_object is null and v.state = 'ready' and c.state <> 'lost'
      and coalesce(c.last_report->'volumes', '[]'::jsonb) ? v.id::text`);
}

/**
 * Volumes a reachable cell still holds that no longer exist (deleted while the cell was away, or
 * while an instance there still mounted them), and old copies of volumes whose data now lives on
 * another cell (moved there, or restored there from a snapshot): the cell must remove them to free
 * their space. A volume's copy on its own cell, or any copy while its data is on its way, stays.
 * `reported` gives the volumes each reachable cell holds (`CellReports`).
 */
export async function strayVolumes(
  db: Database,
  reported: ReadonlyMap<string, { volumes: readonly string[] }>,
): Promise<{ cellId: string; volumeId: string }[]> {
  const held = [...reported].flatMap(([cellId, { volumes }]) =>
    volumes.map((volumeId) => ({ cellId, volumeId })),
  );
  if (held.length === 0) return [];
  const rows = await db.execute<{ cell_id: string; volume_id: string }>(sql`
    select h."cellId" as cell_id, h."volumeId" as volume_id
    from jsonb_to_recordset(${JSON.stringify(held)}::jsonb) as h("cellId" uuid, "volumeId" text)
    where not exists (select 1 from volumes v where v.id = ${textAsUuid(sql`h."volumeId"`)}
      and (v.cell_id is null or v.cell_id = h."cellId" or v.source_object is not null))`);
  return [...rows].map((r) => ({ cellId: r.cell_id, volumeId: r.volume_id }));
}
