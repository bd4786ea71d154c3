import { randomUUID } from "node:crypto";
import { schema } from "@grove/db";
import type { StartInstance } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import { CELL_SYNCED, PLACEMENT_WAKE_SUBJECT } from "../src/leader/loops";
import { claimStarts, insertPlacedInstances, startsOf } from "../src/repo/placement";
import { eventually, expectStatus, pushApp, startTestApi } from "./harness";
import { hollowCellOf } from "./hollow-cell";

describeWith(["postgres", "nats"], "starts handed from the rounds to the start pump", () => {
  it("sends a new instance's start from memory: its row is written once, as sent when inserted", async ({
    pg,
    nats,
  }) => {
    // claims never resend within the test: only the handoff can send these starts
    const t = await startTestApi(pg, nats, { GROVE_START_RESEND_MS: "600000" });
    const cell = await hollowCellOf(t, "cell", { maxStartBatch: 100 });
    const dev = await t.tenantWithToken("acme");
    const appId = await pushApp(t, dev, "web", { instances: 3 });
    await eventually(async () => (cell.starts.length === 3 ? true : undefined));
    const rows = await t.db
      .select({
        id: schema.instances.id,
        createdAt: schema.instances.createdAt,
        sentAt: schema.instances.commandSentAt,
      })
      .from(schema.instances)
      .where(eq(schema.instances.appId, appId));
    expect(rows.map((r) => r.id).sort()).toEqual(cell.starts.map((s) => s.instanceId).sort());
    // the insert's own time: no claim wrote the row again before its start went
    for (const row of rows) expect(row.sentAt).toEqual(row.createdAt);
  });

  it("leaves a handed-off start to the claims only after the resend time, and reads none that is no longer placed", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const cell = await hollowCellOf(t, "cell", { maxStartBatch: 100 });
    const dev = await t.tenantWithToken("acme");
    const appId = await pushApp(t, dev, "web", { instances: 1 });
    const [start] = await eventually(async () => (cell.starts.length === 1 ? cell.starts : undefined));
    // no leader from here on: as if it died after writing the instance and before sending its start
    await t.api.stop();
    const id = randomUUID();
    await insertPlacedInstances(t.db, [
      {
        id,
        tenantId: start?.tenantId as string,
        appId,
        index: 1,
        revision: start?.revision as number,
        crashCount: 0,
        cellId: cell.cellId,
        reason: null,
        handedOff: true,
      },
    ]);
    expect((await claimStarts(t.db, 60_000, 10)).map((s) => s.instanceId)).not.toContain(id);
    const [read] = await startsOf(t.db, [id]);
    expect(read).toMatchObject({ instanceId: id, cellId: cell.cellId, index: 1, command: start?.command });
    // a later leader's claim finds it once the resend time has passed (here: none)
    expect((await claimStarts(t.db, 0, 10)).map((s) => s.instanceId)).toContain(id);
    await t.db.execute(sql`update instances set state = 'STOPPED' where id = ${id}`);
    expect(await startsOf(t.db, [id])).toEqual([]);
  });

  it("gives each start its own app's revision spec, read once per revision", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats, { GROVE_START_RESEND_MS: "600000" });
    const cell = await hollowCellOf(t, "cell", { maxStartBatch: 100 });
    const dev = await t.tenantWithToken("acme");
    const web = await pushApp(t, dev, "web", {
      instances: 2,
      command: "httpd -p $PORT",
      env: { ROLE: "web" },
    });
    const worker = await pushApp(t, dev, "worker", { instances: 1, command: "worker", memory_mb: 64 });
    await eventually(async () => (cell.starts.length === 3 ? true : undefined));
    const rows = await t.db.execute<{ id: string }>(sql`select id from instances order by id`);
    const starts = await startsOf(
      t.db,
      rows.map((r) => r.id),
    );
    // (in the order placed: those of one statement were placed at the same time)
    expect(starts.map((s) => s.instanceId).sort()).toEqual(rows.map((r) => r.id));
    const byApp = (appId: string) => starts.filter((s) => s.appId === appId);
    expect(
      byApp(web)
        .map((s) => [s.command, s.env.ROLE, s.index])
        .sort(),
    ).toEqual([
      ["httpd -p $PORT", "web", 0],
      ["httpd -p $PORT", "web", 1],
    ]);
    expect(byApp(worker).map((s) => [s.command, s.memoryMb, s.cellId])).toEqual([
      ["worker", 64, cell.cellId],
    ]);
    // what went to the cell is what is read
    for (const start of cell.starts)
      expect(starts.find((s) => s.instanceId === start.instanceId)?.command).toBe(start.command);
  });
});

describeWith(["postgres", "nats"], "a start whose revision cannot make a command", () => {
  it("crashes its instance saying why, and holds up no other app's start", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats, { GROVE_START_RESEND_MS: "600000" });
    const cell = await hollowCellOf(t, "cell", { maxStartBatch: 100 });
    const dev = await t.tenantWithToken("acme");
    const broken = await pushApp(t, dev, "broken", { instances: 0 });
    // a stored health check no version of the protocol knows (written by hand, or a bad migration)
    await t.db.execute(
      sql`update app_revisions set health_check = '{"type":"telepathy"}'::jsonb where app_id = ${broken}`,
    );
    await expectStatus(
      await t.call("/v1/apps/broken", { method: "PATCH", token: dev, json: { instances: 2 } }),
      200,
    );
    const fine = await pushApp(t, dev, "fine", { instances: 1 });
    const crashed = await eventually(async () => {
      const rows = await t.db.execute<{ reason: string | null }>(
        sql`select reason from instances where app_id = ${broken} and state = 'CRASHED'`,
      );
      return rows.length === 2 ? rows : undefined;
    });
    expect(crashed.map((r) => r.reason)).toEqual([
      expect.stringMatching(/stored health check is not valid: push the app again/),
      expect.stringMatching(/stored health check is not valid/),
    ]);
    await eventually(async () => (cell.starts.some((s) => s.appId === fine) ? true : undefined));
    expect(cell.starts.filter((s) => s.appId === broken)).toEqual([]);
  });
});

describeWith(["postgres", "nats"], "a cell that synced its state", () => {
  it("is sent its starts still placed again at once, not after the resend time", async ({ pg, nats }) => {
    // claims never resend within the test: only the sync can send these starts again
    const t = await startTestApi(pg, nats, { GROVE_START_RESEND_MS: "600000" });
    const cell = await hollowCellOf(t, "cell", { maxStartBatch: 100 });
    const other = await hollowCellOf(t, "other", { maxStartBatch: 100 });
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, "web", { instances: 4 });
    await eventually(async () => (cell.starts.length + other.starts.length === 4 ? true : undefined));
    const [running] = cell.starts;
    expect(running).toBeDefined();
    // one of the cell's instances reported RUNNING; the others never did (as if its agent restarted
    // before it could run them, or they were sent while it was down)
    await cell.report(running as StartInstance, "RUNNING");
    const placed = cell.starts.slice(1).map((s) => s.instanceId);
    // every command as it came, a start sent again too (a batch or one `start-instance`)
    const commandsBefore = cell.rawCommands.length;
    const otherCommandsBefore = other.rawCommands.length;
    await eventually(async () =>
      (
        await t.db.execute(
          sql`select 1 from instances where id = ${running?.instanceId} and state = 'RUNNING'`,
        )
      ).length === 1
        ? true
        : undefined,
    );
    // what the state-sync responder publishes once the cell's sync is stored
    t.nc.publish(PLACEMENT_WAKE_SUBJECT, `${CELL_SYNCED}:${cell.cellId}`);
    const sentAgain = () => cell.rawCommands.slice(commandsBefore).join("\n");
    await eventually(async () => (placed.every((id) => sentAgain().includes(id)) ? true : undefined));
    // the RUNNING one is not sent again, nor is anything to the cell that did not sync
    expect(sentAgain()).not.toContain(running?.instanceId);
    expect(other.rawCommands.slice(otherCommandsBefore).join("\n")).not.toMatch(/start-instance/);
  });
});
