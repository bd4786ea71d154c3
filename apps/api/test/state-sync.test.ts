import {
  CellStateSync,
  CellStateSyncReply,
  decodeOrThrow,
  encode,
  MAX_EVENT_BATCH,
  subjects,
} from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { eventually, expectStatus, joinToken, startTestApi, type TestApi, tarOf, webApp } from "./harness";
import { type HollowCell, joinHollowCell } from "./hollow-cell";

interface Instance {
  id: string;
  index: number;
  state: string;
  crash_count: number;
}

async function instancesOf(t: TestApi, token: string): Promise<Instance[]> {
  return (
    (await expectStatus(await t.call("/v1/apps/web/instances", { token }), 200)) as { items: Instance[] }
  ).items;
}

function syncOf(cell: HollowCell, keep: HollowCell["starts"], claim = cell.cellId) {
  return encode(CellStateSync, {
    v: 2,
    cellId: claim,
    syncId: "sync-1",
    at: new Date().toISOString(),
    capacity: { memoryMb: 4096, diskMb: 100_000, containers: 50 },
    available: { memoryMb: 3000, diskMb: 90_000, containers: 48 },
    instances: keep.map((s) => ({
      instanceId: s.instanceId,
      appId: s.appId,
      revision: s.revision,
      index: s.index,
      state: "RUNNING" as const,
      containerHandle: `c-${s.instanceId}`,
      address: "127.0.0.1",
      ports: [{ containerPort: 8080, hostPort: 62000 + s.index }],
      since: new Date().toISOString(),
    })),
  });
}

describeWith(["root", "postgres", "nats"], "cell state sync", () => {
  it("keeps reported instances untouched and replaces the ones the cell no longer has", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const a = await joinHollowCell(t.nc, await joinToken(t), "a");
    const dev = await t.tenantWithToken("acme");
    await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("web", { instances: 2 }) }),
      201,
    );
    await expectStatus(
      await t.call("/v1/apps/web/bits", {
        method: "PUT",
        token: dev,
        body: await tarOf({ "app.sh": "httpd" }),
      }),
      200,
    );
    await eventually(async () => (a.starts.length === 2 ? true : undefined));
    for (const start of a.starts) await a.report(start, "RUNNING");
    await eventually(async () =>
      (await instancesOf(t, dev)).every((i) => i.state === "RUNNING") ? true : undefined,
    );
    const [kept, gone] = [...a.starts].sort((x, y) => x.index - y.index) as [
      HollowCell["starts"][0],
      HollowCell["starts"][0],
    ];

    const reply = await t.nc.request(subjects.stateSync(a.cellId), syncOf(a, [kept]), { timeout: 5_000 });
    // this api takes batches of instance events: the agent may send them from now on
    expect(decodeOrThrow(CellStateSyncReply, reply.data)).toEqual({
      v: 1,
      ok: true,
      maxEventBatch: MAX_EVENT_BATCH,
    });
    await eventually(async () => (a.starts.length === 3 ? true : undefined));
    expect(a.starts[2]?.index).toBe(gone.index);
    const listed = await instancesOf(t, dev);
    expect(listed.find((i) => i.index === kept.index)).toMatchObject({
      id: kept.instanceId,
      state: "RUNNING",
      crash_count: 0,
    });
    expect(listed.find((i) => i.index === gone.index)).toMatchObject({ crash_count: 1 });
    expect(a.stops).not.toContain(kept.instanceId);
    a.stop();
  });

  it("refuses a state sync naming another cell than its subject's", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const token = await joinToken(t, 2);
    const a = await joinHollowCell(t.nc, token, "a");
    const b = await joinHollowCell(t.nc, token, "b");
    // on its own subject (NATS lets b's user publish on no other), claiming to be a
    const reply = await t.nc.request(subjects.stateSync(b.cellId), syncOf(b, [], a.cellId), {
      timeout: 5_000,
    });
    expect(decodeOrThrow(CellStateSyncReply, reply.data)).toMatchObject({
      ok: false,
      error: "not accepted: subject-mismatch",
    });
    a.stop();
    b.stop();
  });
});
