import type { Database } from "@grove/db";
import { sql } from "drizzle-orm";
import { uuidArray } from "../ids";

/** What the leader acts on in one cell's last report. */
export interface CellReport {
  /** the instances it says are not STOPPED */
  instances: readonly string[];
  /** the volumes it holds data of */
  volumes: readonly string[];
  /** the most starts it takes in one `start-instances` command; null: single starts only */
  maxStartBatch: number | null;
}

/**
 * The last report of each reachable cell, as far as strays go (instances and volumes a cell holds
 * that the control plane does not want there), kept between the leader's rounds: a round reads
 * every cell's report digest (a row per cell) and reads again only the reports whose state digest
 * changed since. At 1,000 cells of 100 instances a round otherwise unpacked every report (100,000
 * entries) twice to find no stray; a steady cell's report changes only when what it holds does.
 */
export class CellReports {
  readonly #cells = new Map<string, CellReport & { digest: string | null }>();

  /** Every reachable (not lost) cell's report, by cell id. */
  async read(db: Database): Promise<ReadonlyMap<string, CellReport>> {
    const digests = await db.execute<{ id: string; digest: string | null }>(sql`
      select id, split_part(report_digest, '.', 1) as digest from cells where state <> 'lost'`);
    const reachable = new Set<string>();
    const stale: string[] = [];
    for (const { id, digest } of digests) {
      reachable.add(id);
      const known = this.#cells.get(id);
      // no digest stored (a state sync stores none): read every time until a beat stores one
      if (digest === null || known === undefined || known.digest !== digest) stale.push(id);
    }
    for (const id of this.#cells.keys()) if (!reachable.has(id)) this.#cells.delete(id);
    if (stale.length > 0) await this.#readReports(db, stale);
    return this.#cells;
  }

  /**
   * The most starts each of `cellIds` takes in one `start-instances` command (absent: single
   * starts only). The start pump asks between rounds; a cell no round has read since its first
   * stored beat (it joined or restarted since) is read now.
   */
  async startBatches(db: Database, cellIds: readonly string[]): Promise<Map<string, number>> {
    // a report read before the cell's first stored beat (none, or a state sync's) may be stale already
    const unread = cellIds.filter((id) => (this.#cells.get(id)?.digest ?? null) === null);
    if (unread.length > 0) await this.#readReports(db, unread);
    const batches = new Map<string, number>();
    for (const id of cellIds) {
      const max = this.#cells.get(id)?.maxStartBatch;
      if (max) batches.set(id, max);
    }
    return batches;
  }

  async #readReports(db: Database, ids: readonly string[]): Promise<void> {
    // each digest read with its report: a beat stored between the two reads is read next round
    const reports = await db.execute<{
      id: string;
      digest: string | null;
      instances: string[];
      volumes: string[];
      maxStartBatch: number | null;
    }>(sql`
      select c.id, split_part(c.report_digest, '.', 1) as digest,
        coalesce((select array_agg(r->>'instanceId')
          from jsonb_array_elements(coalesce(c.last_report->'instances', '[]'::jsonb)) r
          where r->>'state' <> 'STOPPED'), '{}') as instances,
        coalesce((select array_agg(v)
          from jsonb_array_elements_text(coalesce(c.last_report->'volumes', '[]'::jsonb)) v), '{}') as volumes,
        (c.last_report->>'maxStartBatch')::int as "maxStartBatch"
      from cells c where c.id = any (${uuidArray(ids)}::uuid[]) and c.state <> 'lost'`);
    for (const id of ids) this.#cells.delete(id);
    for (const report of reports) this.#cells.set(report.id, report);
  }
}
