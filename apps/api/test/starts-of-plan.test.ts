import { describeWith, it } from "@grove/testkit";
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { startsOfQuery } from "../src/repo/placement";
import { appDatabase } from "./app-database";

// In a ramp the rounds write tens of thousands of PLACED rows in seconds, while the statistics (from
// before) say there are a few: the handed starts' read must still find its rows by key, not scan
// every PLACED row through the partial index and keep the ids asked for.
describeWith(["postgres"], "the handed starts' read", () => {
  it("looks its instances up by primary key while many rows are PLACED that the statistics do not know of", async ({
    pg,
  }) => {
    const d = await appDatabase(pg, "starts_of_plan");
    const cell = await d.cell();
    const insert = (state: string, count: number) => d.sql`
      insert into instances (tenant_id, app_id, index, revision, cell_id, state, command_sent_at)
      select ${d.tenantId}, ${d.appId}, g, 1, ${cell.id}, ${state}::instance_state, now()
      from generate_series(1, ${count}) g returning id`;
    await insert("RUNNING", 100_000);
    await d.sql`analyze instances`;
    const placed = (await insert("PLACED", 5_000)).map((row) => row.id as string);
    const asked = placed.slice(0, 500);
    const [explained] = await d.db.execute<{ "QUERY PLAN": unknown }>(
      sql`explain (format json) ${startsOfQuery(asked)}`,
    );
    const plan = JSON.stringify(explained?.["QUERY PLAN"]);
    expect(plan).toContain('"Index Name":"instances_pkey"');
    expect(plan).not.toContain("instances_start_due_idx");
    // and it still reads only those asked for that are PLACED
    await d.sql`update instances set state = 'STOPPED' where id = ${asked[0] as string}`;
    const read = await d.db.execute<{ id: string }>(startsOfQuery(asked));
    expect(read.map((row) => row.id).sort()).toEqual(asked.slice(1).sort());
  });
});
