import type { Database } from "@grove/db";
import { sql } from "drizzle-orm";
import { uuidArray } from "../ids";

/** One cell's last report as strays are found from it: the instances it says are not STOPPED. */
interface CellReport {
  /** the state part of its `report_digest` (null: none stored, read again every time) */
  digest: string | null;
  instances: string[];
}

/**
 * The instances each reachable cell reported last, kept between the leader's rounds: a round reads
 * every cell's report digest (a row per cell) and reads again only the reports whose digest changed
 * since. At 1,000 cells of 100 instances a round otherwise unpacked 100,000 report entries from
 * Postgres to find no stray; a steady cell's report changes only when its instances do.
 */
export class ReportedInstances {
  readonly #cells = new Map<string, CellReport>();

  /** Every reachable (not lost) cell's reported instances, by cell id. */
  async read(db: Database): Promise<ReadonlyMap<string, readonly string[]>> {
    const digests = await db.execute<{ id: string; digest: string | null }>(sql`
      select id, split_part(report_digest, '.', 1) as digest from cells where state <> 'lost'`);
    const reachable = new Set<string>();
    const stale: string[] = [];
    for (const { id, digest } of digests) {
      reachable.add(id);
      const known = this.#cells.get(id);
      if (digest === null || known === undefined || known.digest !== digest) stale.push(id);
    }
    for (const id of this.#cells.keys()) if (!reachable.has(id)) this.#cells.delete(id);
    if (stale.length > 0) {
      // the digest read with its report: a beat stored between the two reads is read next round
      const reports = await db.execute<{ id: string; digest: string | null; instances: string[] }>(sql`
        select c.id, split_part(c.report_digest, '.', 1) as digest,
          coalesce((select array_agg(r->>'instanceId')
            from jsonb_array_elements(coalesce(c.last_report->'instances', '[]'::jsonb)) r
            where r->>'state' <> 'STOPPED'), '{}') as instances
        from cells c where c.id = any (${uuidArray(stale)}::uuid[]) and c.state <> 'lost'`);
      for (const id of stale) this.#cells.delete(id);
      for (const { id, digest, instances } of reports) this.#cells.set(id, { digest, instances });
    }
    const reported = new Map<string, readonly string[]>();
    for (const [id, report] of this.#cells) reported.set(id, report.instances);
    return reported;
  }
}
