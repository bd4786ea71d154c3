import type { StartInstance } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import pino from "pino";
import { expect } from "vitest";
import { createApi } from "../src/api";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf, webApp } from "./harness";
import { type HollowCell, joinHollowCell } from "./hollow-cell";

interface Instance {
  id: string;
  index: number;
  state: string;
  cell: { id: string; name: string } | null;
  crash_count: number;
}

/** Joins the cells (each heartbeating from its join when `heartbeatMs` is given) and pushes the app. */
async function setup(t: TestApi, cellNames: string[], app: Record<string, unknown>, heartbeatMs?: number) {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json: { uses: cellNames.length } });
  const token = ((await expectStatus(res, 201)) as { token: string }).token;
  const cells: HollowCell[] = [];
  for (const name of cellNames) {
    const cell = await joinHollowCell(t.nc, token, name);
    if (heartbeatMs !== undefined) cell.startHeartbeats(heartbeatMs);
    cells.push(cell);
  }
  const dev = await t.tenantWithToken("acme");
  await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: app }), 201);
  await expectStatus(
    await t.call(`/v1/apps/${app.name}/bits`, {
      method: "PUT",
      token: dev,
      body: await tarOf({ "app.sh": "httpd" }),
    }),
    200,
  );
  return { cells, dev };
}

async function instancesOf(t: TestApi, token: string, app = "web"): Promise<Instance[]> {
  const page = (await expectStatus(await t.call(`/v1/apps/${app}/instances`, { token }), 200)) as {
    items: Instance[];
  };
  return page.items;
}

/** Reports RUNNING for every started instance not yet reported. */
async function runAll(cells: HollowCell[], reported: Set<string>) {
  for (const cell of cells) {
    for (const start of cell.running()) {
      if (reported.has(start.instanceId)) continue;
      reported.add(start.instanceId);
      await cell.report(start, "RUNNING");
    }
  }
}

const total = (cells: HollowCell[]) => cells.reduce((n, c) => n + c.running().length, 0);

describeWith(["root", "postgres", "nats"], "convergence (hollow cells)", () => {
  it("stops the extra instances when an app is scaled down", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const { cells, dev } = await setup(t, ["a", "b"], webApp("web", { instances: 4 }));
    await eventually(async () => (total(cells) === 4 ? true : undefined));
    await expectStatus(
      await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { instances: 2 } }),
      200,
    );
    await eventually(async () => (total(cells) === 2 ? true : undefined));
    expect((await instancesOf(t, dev)).map((i) => i.index)).toEqual([0, 1]);
    for (const cell of cells) cell.stop();
  });

  it("lists each app with its instances running its current revision", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const { cells, dev } = await setup(t, ["a"], webApp("web", { instances: 2 }));
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("idle") }), 201);
    const listed = async () => {
      const page = (await expectStatus(await t.call("/v1/apps", { token: dev }), 200)) as {
        items: { name: string; revision: number; running_instances: number }[];
      };
      return page.items.map((a) => [a.name, a.revision, a.running_instances]);
    };
    // its bits made web's revision 2
    expect(await listed()).toEqual([
      ["idle", 1, 0],
      ["web", 2, 0],
    ]);
    await eventually(async () => (total(cells) === 2 ? true : undefined));
    await runAll(cells, new Set());
    await eventually(async () => ((await listed())[1]?.[2] === 2 ? true : undefined));
    expect(await listed()).toEqual([
      ["idle", 1, 0],
      ["web", 2, 2],
    ]);
    // a new revision: the instances still running the old one do not count
    await expectStatus(
      await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { command: "httpd -v" } }),
      200,
    );
    expect(await listed()).toEqual([
      ["idle", 1, 0],
      ["web", 3, 0],
    ]);
    for (const cell of cells) cell.stop();
  });

  it("replaces a crashed instance at once for the first crashes, carrying the crash count", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { cells, dev } = await setup(t, ["a"], webApp("web"));
    const [a] = cells as [HollowCell];
    await eventually(async () => (a.starts.length === 1 ? true : undefined));
    await a.report(a.starts[0] as (typeof a.starts)[0], "CRASHED");
    await eventually(async () => (a.starts.length === 2 ? true : undefined));
    // the crashed container is cleaned up too (the stop is sent after the start, in the same round)
    await eventually(async () => (a.stops.length === 1 ? true : undefined));
    expect(a.stops).toEqual([a.starts[0]?.instanceId]);
    const [instance] = await instancesOf(t, dev);
    expect(instance).toMatchObject({ id: a.starts[1]?.instanceId, crash_count: 1 });
    const events = (await expectStatus(await t.call("/v1/apps/web/events?limit=1", { token: dev }), 200)) as {
      items: { kind: string; actor: string; data: Record<string, unknown> }[];
    };
    expect(events.items[0]).toMatchObject({
      kind: "instance-crashed",
      actor: `cell:${a.cellId}`,
      data: { index: 0, reason: "oom", exitCode: 137 },
    });
    a.stop();
  });

  it("replaces the instances of a lost cell, then stops the duplicates when it returns", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, {
      GROVE_PRESENCE_TTL_MS: "1000",
      GROVE_CONVERGENCE_INTERVAL_MS: "200",
    });
    // the cells beat from their join: one silent for a TTL while the app is pushed would be lost
    const { cells, dev } = await setup(t, ["a", "b"], webApp("web", { instances: 2 }), 200);
    const [a, b] = cells as [HollowCell, HollowCell];
    await eventually(async () => (a.running().length === 1 && b.running().length === 1 ? true : undefined));
    const lostInstance = b.running()[0]?.instanceId;
    b.stopHeartbeats();
    await eventually(async () => (a.running().length === 2 ? true : undefined));
    const listed = await instancesOf(t, dev);
    expect(listed.map((i) => i.cell?.name)).toEqual(["a", "a"]);
    // b comes back still running its old instance: the control plane stops it there
    b.startHeartbeats(200);
    await eventually(async () => (b.stops.includes(lostInstance as string) ? true : undefined));
    expect(b.running()).toEqual([]);
    a.stop();
    b.stop();
  });

  it("drains a cell without dropping below the desired RUNNING count", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const { cells, dev } = await setup(t, ["a", "b"], webApp("web", { instances: 2 }));
    const [a, b] = cells as [HollowCell, HollowCell];
    const reported = new Set<string>();
    await eventually(async () => (total(cells) === 2 ? true : undefined));
    await runAll(cells, reported);
    await eventually(async () =>
      (await instancesOf(t, dev)).every((i) => i.state === "RUNNING") ? true : undefined,
    );
    await expectStatus(await t.call(`/v1/cells/${a.cellId}/drain`, { method: "POST" }), 200);
    await eventually(async () => (b.running().length === 2 ? true : undefined));
    // the replacement is not RUNNING yet, so the old instance on a must still be there
    expect(a.running()).toHaveLength(1);
    expect(a.stops).toEqual([]);
    await runAll([b], reported);
    await eventually(async () => (a.running().length === 0 ? true : undefined));
    const listed = await instancesOf(t, dev);
    expect(listed.map((i) => [i.cell?.name, i.state])).toEqual([
      ["b", "RUNNING"],
      ["b", "RUNNING"],
    ]);
    a.stop();
    b.stop();
  });

  it("stops a deleted app's instances once their cell reports them", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "200" });
    const { cells, dev } = await setup(t, ["a"], webApp("web", { instances: 2 }));
    const [a] = cells as [HollowCell];
    a.startHeartbeats(200);
    await eventually(async () => (a.running().length === 2 ? true : undefined));
    // a leftover reported under an id that is no uuid is a stray too (and breaks no round)
    a.adopt({ ...(a.running()[0] as StartInstance), instanceId: "leftover-1" });
    await expectStatus(await t.call("/v1/apps/web", { method: "DELETE", token: dev }), 204);
    await eventually(async () => (a.running().length === 0 ? true : undefined));
    expect(a.stops).toHaveLength(3);
    expect(a.stops).toContain("leftover-1");
    a.stop();
  });

  it("reaches the desired count after an api dies between a scale request and its placement", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { cells, dev } = await setup(t, ["a", "b"], webApp("web", { instances: 1 }));
    await eventually(async () => (total(cells) === 1 ? true : undefined));
    await t.api.stop();
    await expectStatus(
      await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { instances: 4 } }),
      200,
    );
    expect(total(cells)).toBe(1);
    const restarted = createApi({
      config: t.config,
      db: t.db,
      nc: t.nc,
      authority: t.authority,
      log: pino({ level: "silent" }),
    });
    await restarted.start();
    try {
      await eventually(async () => (total(cells) === 4 ? true : undefined));
      expect(cells.map((c) => c.running().length)).toEqual([2, 2]);
    } finally {
      await restarted.stop();
      for (const cell of cells) cell.stop();
    }
  });

  it("restarts an app by replacing each instance, stopping the old one once its replacement runs", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { cells, dev } = await setup(t, ["a"], webApp("web"));
    const [a] = cells as [HollowCell];
    const reported = new Set<string>();
    await eventually(async () => (a.running().length === 1 ? true : undefined));
    await runAll(cells, reported);
    const before = a.running()[0]?.instanceId;
    await expectStatus(await t.call("/v1/apps/web/restart", { method: "POST", token: dev }), 200);
    await eventually(async () => (a.running().length === 2 ? true : undefined));
    expect(a.stops).toEqual([]);
    await runAll(cells, reported);
    await eventually(async () => (a.running().length === 1 ? true : undefined));
    expect(a.stops).toEqual([before]);
    expect(a.running()[0]?.instanceId).not.toBe(before);
    a.stop();
  });

  it("rolls out a new revision, stopping each old instance once its replacement runs", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { cells, dev } = await setup(t, ["a", "b"], webApp("web", { instances: 2 }));
    const reported = new Set<string>();
    await eventually(async () => (total(cells) === 2 ? true : undefined));
    await runAll(cells, reported);
    await expectStatus(
      await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { env: { V: "2" } } }),
      200,
    );
    await eventually(async () => (total(cells) === 4 ? true : undefined));
    const revisions = cells.flatMap((c) => c.running().map((s) => s.revision)).sort();
    expect(revisions).toEqual([2, 2, 3, 3]);
    await runAll(cells, reported);
    await eventually(async () => (total(cells) === 2 ? true : undefined));
    expect(cells.flatMap((c) => c.running().map((s) => s.env.V))).toEqual(["2", "2"]);
    for (const cell of cells) cell.stop();
  });
});
