import { randomUUID } from "node:crypto";
import { schema } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import { and, eq } from "drizzle-orm";
import pino from "pino";
import { expect } from "vitest";
import { createApi } from "../src/api";
import { applyInstanceEvents, type ReportedEvent } from "../src/repo/instances";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf, webApp } from "./harness";
import { hollowInstanceEvent, joinHollowCell } from "./hollow-cell";

interface Instance {
  id: string;
  index: number;
  state: string;
  cell: { id: string; name: string } | null;
  address: string | null;
  ports: { container_port: number; host_port: number }[];
  crash_count: number;
  reason: string | null;
}

async function joinToken(t: TestApi): Promise<string> {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 2 } });
  return ((await expectStatus(res, 201)) as { token: string }).token;
}

async function pushApp(t: TestApi, token: string, body: Record<string, unknown>) {
  await expectStatus(await t.call("/v1/apps", { method: "POST", token, json: body }), 201);
  const tar = await tarOf({ "app.sh": "httpd" });
  await expectStatus(await t.call(`/v1/apps/${body.name}/bits`, { method: "PUT", token, body: tar }), 200);
}

async function instancesOf(t: TestApi, token: string, app: string): Promise<Instance[]> {
  const page = (await expectStatus(await t.call(`/v1/apps/${app}/instances`, { token }), 200)) as {
    items: Instance[];
  };
  return page.items;
}

describeWith(["root", "postgres", "nats"], "placement (hollow cells)", () => {
  it("spreads 4 instances 2/2 over two cells and shows them RUNNING once the cells report", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const token = await joinToken(t);
    const a = await joinHollowCell(t.nc, token, "hollow-a");
    const b = await joinHollowCell(t.nc, token, "hollow-b");
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, webApp("web", { instances: 4 }));
    await eventually(async () => (a.starts.length + b.starts.length === 4 ? true : undefined));
    expect([a.starts.length, b.starts.length]).toEqual([2, 2]);
    expect(a.starts[0]).toMatchObject({
      revision: 2,
      memoryMb: 256,
      command: "httpd -f -p 8080",
      stack: "busybox",
    });
    expect(a.starts[0]?.bitsDigest).toMatch(/^sha256:/);
    const placed = await instancesOf(t, dev, "web");
    expect(placed.map((i) => [i.index, i.state])).toEqual([
      [0, "PLACED"],
      [1, "PLACED"],
      [2, "PLACED"],
      [3, "PLACED"],
    ]);
    for (const cell of [a, b]) for (const start of cell.starts) await cell.report(start, "RUNNING");
    const running = await eventually(async () => {
      const list = await instancesOf(t, dev, "web");
      return list.every((i) => i.state === "RUNNING") ? list : undefined;
    });
    expect(running[0]).toMatchObject({
      address: "127.0.0.1",
      ports: [{ container_port: 8080 }],
      reason: null,
    });
    expect(new Set(running.map((i) => i.cell?.name))).toEqual(new Set(["hollow-a", "hollow-b"]));
    a.stop();
    b.stop();
  });

  it("leaves an instance that fits nowhere unplaced, with the scheduler's reason", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const cell = await joinHollowCell(t.nc, await joinToken(t), "small", 512);
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, webApp("big", { memory_mb: 1024 }));
    const [instance] = await eventually(async () => {
      const list = await instancesOf(t, dev, "big");
      return list[0]?.reason?.includes("memory") ? list : undefined;
    });
    expect(instance).toMatchObject({ state: "UNPLACED", cell: null });
    expect(instance?.reason).toMatch(/insufficient memory/);
    expect(cell.starts).toHaveLength(0);
    cell.stop();
  });

  it("counts what earlier rounds placed on a cell: an instance that no longer fits stays unplaced", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const cell = await joinHollowCell(t.nc, await joinToken(t), "half-full", 512);
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, webApp("first", { memory_mb: 256, instances: 2 }));
    await eventually(async () => (cell.starts.length >= 2 ? true : undefined), 15_000, "2 starts");
    await pushApp(t, dev, webApp("second", { memory_mb: 256 }));
    const [instance] = await eventually(
      async () => {
        const list = await instancesOf(t, dev, "second");
        return list[0]?.reason?.includes("memory") ? list : undefined;
      },
      15_000,
      "the second app unplaced for memory",
    );
    expect(instance).toMatchObject({ state: "UNPLACED", cell: null });
    expect(cell.starts).toHaveLength(2);
    cell.stop();
  });

  it("keeps at most GROVE_STARTS_QUEUED starts queued and sends the rest without waiting for a round", async ({
    pg,
    nats,
  }) => {
    // no timed rounds, and nothing wakes one once the instances are placed: only the start pump,
    // refilled as the dispatch drains, can send the 4 batches
    const t = await startTestApi(pg, nats, {
      GROVE_STARTS_QUEUED: "2",
      GROVE_CONVERGENCE_INTERVAL_MS: "600000",
    });
    const rounds = async () =>
      (await t.api.metrics.leaderRoundDuration.get()).values.find((v) => v.metricName?.endsWith("_count"))
        ?.value ?? 0;
    const cell = await joinHollowCell(t.nc, await joinToken(t), "hollow-bound");
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, webApp("web", { instances: 7 }));
    await eventually(async () => {
      const list = await instancesOf(t, dev, "web");
      return list.length === 7 && list.every((i) => i.state === "PLACED") ? true : undefined;
    });
    // the round that placed them may still be finishing
    const placedBy = (await rounds()) + 1;
    await eventually(async () => (cell.starts.length === 7 ? true : undefined));
    expect(new Set(cell.starts.map((s) => s.index))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    expect(await rounds()).toBeLessThanOrEqual(placedBy);
    cell.stop();
  });

  it("rejects an instance event from a cell the instance is not on", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const token = await joinToken(t);
    const a = await joinHollowCell(t.nc, token, "hollow-a");
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, webApp("web"));
    await eventually(async () => (a.starts.length === 1 ? true : undefined));
    const b = await joinHollowCell(t.nc, token, "hollow-b");
    const start = a.starts[0] as (typeof a.starts)[0];
    // b reports a's instance as crashed, on its own subject
    await b.report(start, "CRASHED");
    // b claims to be a, on its own subject (a's own it could not publish on: NATS permissions)
    await b.report(start, "CRASHED", { claim: a.cellId });
    await eventually(async () => {
      const metrics = await t.api.metrics.registry.metrics();
      return metrics.includes('subject_kind="instance-event",reason="not-on-this-cell"} 1') &&
        metrics.includes('subject_kind="instance-event",reason="subject-mismatch"} 1')
        ? true
        : undefined;
    });
    const [instance] = await instancesOf(t, dev, "web");
    expect(instance).toMatchObject({ state: "PLACED", crash_count: 0 });
    a.stop();
    b.stop();
  });

  it("applies instance events published while no api was running, once each", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const a = await joinHollowCell(t.nc, await joinToken(t), "hollow-a");
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, webApp("web"));
    await eventually(async () => (a.starts.length === 1 ? true : undefined));
    await t.api.stop();
    const start = a.starts[0] as (typeof a.starts)[0];
    await a.report(start, "STARTING");
    await a.report(start, "CRASHED");
    const again = createApi({
      config: t.config,
      db: t.db,
      nc: t.nc,
      authority: t.authority,
      log: pino({ level: "silent" }),
    });
    await again.start();
    try {
      // the crash was applied exactly once: its replacement inherits crash count 1 and is started
      const [replacement] = await eventually(async () => {
        const list = await instancesOf(t, dev, "web");
        return list[0] && list[0].id !== start.instanceId ? list : undefined;
      });
      expect(replacement).toMatchObject({ index: 0, crash_count: 1 });
      await eventually(async () => (a.starts.length === 2 ? true : undefined));
      expect(a.starts[1]?.instanceId).toBe(replacement?.id);
    } finally {
      await again.stop();
      a.stop();
    }
  });

  it("applies a batch of instance events in their order, each once, with every check of one event", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const a = await joinHollowCell(t.nc, await joinToken(t), "hollow-a");
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, webApp("web"));
    await eventually(async () => (a.starts.length === 1 ? true : undefined));
    await t.api.stop(); // no consumer or round races the batch below
    try {
      const start = a.starts[0] as (typeof a.starts)[0];
      const at = (ms: number) => new Date(Date.now() - 60_000 + ms).toISOString();
      const event = (state: "STARTING" | "RUNNING" | "CRASHED" | "STOPPED", ms: number) => ({
        ...hollowInstanceEvent(a.cellId, start, state, { address: "10.0.0.9", hostPort: 61001 }),
        at: at(ms),
      });
      const crashed = event("CRASHED", 2);
      const batch = [
        { cellId: a.cellId, event: event("STARTING", 1) },
        { cellId: a.cellId, event: crashed },
        { cellId: a.cellId, event: crashed }, // the same event twice in one batch
        { cellId: a.cellId, event: event("RUNNING", 3) },
        { cellId: a.cellId, event: { ...event("RUNNING", 3), instanceId: randomUUID() } },
        { cellId: randomUUID(), event: event("RUNNING", 3) },
        { cellId: a.cellId, event: event("STOPPED", 4) },
        { cellId: a.cellId, event: event("RUNNING", 5) }, // late: a stopped instance stays stopped
      ] as ReportedEvent[];
      expect(await applyInstanceEvents(t.db, batch)).toEqual([
        { applied: true },
        { applied: true },
        { applied: false, reason: "duplicate" },
        { applied: true },
        { applied: false, reason: "unknown-instance" },
        { applied: false, reason: "not-on-this-cell" },
        { applied: true },
        { applied: false, reason: "instance-stopped" },
      ]);
      const [row] = await t.db
        .select()
        .from(schema.instances)
        .where(eq(schema.instances.id, start.instanceId));
      expect(row).toMatchObject({
        state: "STOPPED",
        crashCount: 1,
        address: "10.0.0.9",
        ports: [{ containerPort: 8080, hostPort: 61001 }],
        reason: null,
        since: new Date(batch[6]?.event.at as string),
      });
      const crashes = await t.db
        .select()
        .from(schema.appEvents)
        .where(and(eq(schema.appEvents.appId, start.appId), eq(schema.appEvents.kind, "instance-crashed")));
      expect(crashes).toHaveLength(1);
      expect(crashes[0]).toMatchObject({ actor: `cell:${a.cellId}`, data: { reason: "oom", exitCode: 137 } });
      // applied once: the same batch again changes nothing
      const again = await applyInstanceEvents(t.db, batch);
      expect(again.filter((o) => o.applied)).toEqual([]);
    } finally {
      a.stop();
    }
  });

  it("writes each instance of a batch with its own events only, whatever else the batch holds", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const a = await joinHollowCell(t.nc, await joinToken(t), "hollow-a");
    const dev = await t.tenantWithToken("acme");
    await pushApp(t, dev, webApp("web", { instances: 3 }));
    await eventually(async () => (a.starts.length === 3 ? true : undefined));
    await t.api.stop(); // no consumer or round races the batch below
    try {
      const [one, two, three] = [...a.starts].sort((x, y) => x.index - y.index) as [
        (typeof a.starts)[0],
        (typeof a.starts)[0],
        (typeof a.starts)[0],
      ];
      const at = (ms: number) => new Date(Date.now() - 60_000 + ms).toISOString();
      const event = (
        start: typeof one,
        state: "STARTING" | "RUNNING" | "CRASHED" | "STOPPED",
        ms: number,
        address = "10.0.0.9",
      ) => ({
        cellId: a.cellId,
        event: {
          ...hollowInstanceEvent(a.cellId, start, state, { address, hostPort: 61000 + ms }),
          at: at(ms),
        },
      });
      // the events of three instances interleaved, with one of an instance that does not exist
      const batch = [
        event(one, "RUNNING", 1, "10.0.0.1"),
        event(two, "STARTING", 2),
        { cellId: a.cellId, event: { ...event(one, "RUNNING", 3).event, instanceId: randomUUID() } },
        event(one, "CRASHED", 4),
        event(two, "RUNNING", 5, "10.0.0.2"),
        event(three, "STOPPED", 6),
        event(one, "RUNNING", 7, "10.0.0.3"),
        event(three, "RUNNING", 8),
        event(two, "CRASHED", 9),
      ] as ReportedEvent[];
      expect((await applyInstanceEvents(t.db, batch)).map((o) => (o.applied ? "applied" : o.reason))).toEqual(
        [
          "applied",
          "applied",
          "unknown-instance",
          "applied",
          "applied",
          "applied",
          "applied",
          "instance-stopped",
          "applied",
        ],
      );
      const rows = new Map(
        (await t.db.select().from(schema.instances).where(eq(schema.instances.appId, one.appId))).map((r) => [
          r.id,
          r,
        ]),
      );
      // each as its own last event says: one ran again after its crash, two crashed after running,
      // three stopped (its later report changed nothing)
      expect(rows.get(one.instanceId)).toMatchObject({
        state: "RUNNING",
        crashCount: 1,
        address: "10.0.0.3",
        ports: [{ containerPort: 8080, hostPort: 61007 }],
        reason: null,
        since: new Date(batch[6]?.event.at as string),
      });
      expect(rows.get(two.instanceId)).toMatchObject({
        state: "CRASHED",
        crashCount: 1,
        address: "10.0.0.2",
        ports: [{ containerPort: 8080, hostPort: 61005 }],
        reason: "oom (exit 137)",
        since: new Date(batch[8]?.event.at as string),
      });
      expect(rows.get(three.instanceId)).toMatchObject({
        state: "STOPPED",
        crashCount: 0,
        address: null,
        since: new Date(batch[5]?.event.at as string),
      });
      const crashes = await t.db
        .select()
        .from(schema.appEvents)
        .where(and(eq(schema.appEvents.appId, one.appId), eq(schema.appEvents.kind, "instance-crashed")))
        .orderBy(schema.appEvents.id);
      expect(crashes.map((c) => (c.data as { instanceId: string }).instanceId)).toEqual([
        one.instanceId,
        two.instanceId,
      ]);
    } finally {
      a.stop();
    }
  });
});
