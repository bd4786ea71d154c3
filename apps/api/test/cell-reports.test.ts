import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { CellReports } from "../src/leader/cell-reports";
import { appDatabase } from "./app-database";

describeWith(["root", "postgres"], "the cells' reports the leader keeps", () => {
  it("reads a report again only when its state digest changed, leaves out STOPPED entries and lost cells", async ({
    pg,
  }) => {
    const { db, sql, cell: addCell } = await appDatabase(pg, "cell_reports");
    const cell = await addCell();
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const report = async (digest: string | null, entries: [string, string][], volumes: string[] = []) => {
      const instances = entries.map(([instanceId, state]) => ({ instanceId, state }));
      await sql`update cells set last_report = ${sql.json({ instances, volumes })}, report_digest = ${digest}
        where id = ${cell.id}`;
    };
    const reports = new CellReports();
    const read = async () =>
      Object.fromEntries([...(await reports.read(db))].map(([id, { instances }]) => [id, instances]));

    await report("s1.w1", [
      [a, "RUNNING"],
      [b, "STOPPED"],
    ]);
    expect(await read()).toEqual({ [cell.id]: [a] });
    // the same state digest (a usage-only change): the report kept is used, not read again
    await report("s1.w2", [[c, "RUNNING"]]);
    expect(await read()).toEqual({ [cell.id]: [a] });
    // a new state: read again
    await report("s2.w2", [
      [a, "RUNNING"],
      [c, "STARTING"],
    ]);
    expect(await read()).toEqual({ [cell.id]: [a, c] });
    // no digest stored (a state sync): read every time
    await report(null, [[b, "RUNNING"]]);
    expect(await read()).toEqual({ [cell.id]: [b] });
    await report(null, []);
    expect(await read()).toEqual({ [cell.id]: [] });
    // a lost cell reports nothing the leader acts on
    await report("s3.w3", [[a, "RUNNING"]]);
    await sql`update cells set state = 'lost' where id = ${cell.id}`;
    expect(await read()).toEqual({});
    await sql`update cells set state = 'active' where id = ${cell.id}`;
    expect(await read()).toEqual({ [cell.id]: [a] });
    // the volumes it holds come with it
    await report("s4.w4", [], [a, "not-a-uuid"]);
    expect((await reports.read(db)).get(cell.id)?.volumes).toEqual([a, "not-a-uuid"]);
  });
});
