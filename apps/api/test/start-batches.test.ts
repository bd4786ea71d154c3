import { schema } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import { eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import { eventually, expectStatus, pushApp, startTestApi, type TestApi } from "./harness";
import { type HollowCell, hollowCellOf } from "./hollow-cell";

interface Instance {
  id: string;
  index: number;
  state: string;
  crash_count: number;
  reason: string | null;
}

async function instancesOf(t: TestApi, token: string, app: string): Promise<Instance[]> {
  const page = (await expectStatus(await t.call(`/v1/apps/${app}/instances`, { token }), 200)) as {
    items: Instance[];
  };
  return page.items.sort((a, b) => a.index - b.index);
}

/** The cell's heartbeat is stored (what it advertises with it), as the leader will read it. */
async function reported(t: TestApi, cell: HollowCell): Promise<void> {
  cell.heartbeat();
  await eventually(async () => {
    const [row] = await t.db
      .select({ report: schema.cells.lastReport })
      .from(schema.cells)
      .where(eq(schema.cells.id, cell.cellId));
    return row?.report ? true : undefined;
  });
}

/** The types of the start commands the cell received, in order. */
const startTypes = (cell: HollowCell) =>
  cell.rawCommands
    .map((raw) => (JSON.parse(raw) as { command: { type: string } }).command.type)
    .filter((type) => type.startsWith("start-"));

async function allRunning(t: TestApi, token: string, app: string, cell: HollowCell, count: number) {
  await eventually(async () => (cell.running().length === count ? true : undefined));
  for (const start of cell.running()) await cell.report(start, "RUNNING");
  return eventually(async () => {
    const list = await instancesOf(t, token, app);
    return list.length === count && list.every((i) => i.state === "RUNNING") ? list : undefined;
  });
}

describeWith(["root", "postgres", "nats"], "batched start commands (hollow cells)", () => {
  it("sends a cell that advertises batches one start-instances command for several instances", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const cell = await hollowCellOf(t, "batching", { maxStartBatch: 100 });
    await reported(t, cell);
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, "web", { instances: 5 });
    const running = await allRunning(t, dev, "web", cell, 5);
    expect(running.map((i) => i.crash_count)).toEqual([0, 0, 0, 0, 0]);
    expect(startTypes(cell)).toEqual(["start-instances"]);
    expect(cell.batches.map((batch) => batch.map((s) => s.index).sort())).toEqual([[0, 1, 2, 3, 4]]);
    // each start is the whole spec, as a single start-instance carries it
    expect(cell.batches[0]?.[0]).toMatchObject({ type: "start-instance", stack: "busybox", revision: 2 });
    const sent = await t.api.metrics.startCommands.get();
    expect(sent.values.find((v) => v.labels.kind === "batch")?.value).toBe(1);
    expect((await t.api.metrics.startsSent.get()).values[0]?.value).toBe(5);
  });

  it("sends a cell of an older agent (no batches advertised) one start-instance per instance", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const cell = await hollowCellOf(t, "singles");
    await reported(t, cell);
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, "web", { instances: 3 });
    await allRunning(t, dev, "web", cell, 3);
    expect(startTypes(cell)).toEqual(["start-instance", "start-instance", "start-instance"]);
    expect(cell.batches).toEqual([]);
  });

  it("crashes only the instance whose start a batch's cell refused, with the cell's reason", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    let refusals = 0;
    const cell = await hollowCellOf(t, "picky", {
      maxStartBatch: 100,
      // the first start of index 1 is refused; its replacement is taken
      refuse: (start) => (start.index === 1 && refusals++ === 0 ? "no room for index 1" : undefined),
    });
    await reported(t, cell);
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, "web", { instances: 3 });
    const refused = await eventually(async () => {
      const [row] = await t.db.execute<{ crash_count: number; reason: string }>(sql`
        select crash_count, reason from instances where index = 1 and crash_count > 0`);
      return row;
    });
    expect(refused.reason).toBe("start refused by cell: no room for index 1");
    const running = await allRunning(t, dev, "web", cell, 3);
    const byIndex = new Map(running.map((i) => [i.index, i]));
    expect(byIndex.get(0)?.crash_count).toBe(0);
    expect(byIndex.get(2)?.crash_count).toBe(0);
    expect(startTypes(cell).every((type) => type === "start-instances")).toBe(true);
  });

  it("resends an accepted start only once its cell has not reported it for the resend time since accepting", async ({
    pg,
    nats,
  }) => {
    const resendMs = 1_000;
    const t = await startTestApi(pg, nats, {
      GROVE_START_RESEND_MS: String(resendMs),
      GROVE_CONVERGENCE_INTERVAL_MS: "200",
    });
    const arrivals: number[] = [];
    const replyDelayMs = 800;
    // a busy cell: it answers each batch late and never reports the instance
    const cell = await hollowCellOf(t, "busy", {
      maxStartBatch: 100,
      batchReplyDelayMs: replyDelayMs,
      refuse: () => {
        arrivals.push(Date.now());
        return undefined;
      },
    });
    await reported(t, cell);
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, "web", { instances: 1 });
    await eventually(async () => (arrivals.length >= 2 ? true : undefined), 15_000, "a resend");
    const [first, second] = arrivals as [number, number];
    // counted from the acceptance (the late answer), not from the claim before the first send
    expect(second - (first + replyDelayMs)).toBeGreaterThanOrEqual(resendMs);
    expect((await t.api.metrics.startsHeld.get()).values[0]?.value).toBeGreaterThan(0);
  });
});
