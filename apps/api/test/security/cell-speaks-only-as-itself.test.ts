import {
  CellHeartbeat,
  decodeOrThrow,
  encode,
  PolicySliceReply,
  PolicySliceRequest,
  subjects,
} from "@grove/protocol";
import { describeWith, it, type TestNats } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { cellById } from "../../src/repo/cells";
import { eventually, expectStatus, pushApp, startTestApi, type TestApi } from "../harness";
import { type HollowCell, joinHollowCell } from "../hollow-cell";
import { readLogLines } from "../log-events";

/**
 * Two cells, each speaking only over its own NATS user (as agents do): `a` (too small for the app)
 * and `b`, where tenant acme's app `web` is placed and running.
 */
async function twoCells(t: TestApi, nats: TestNats) {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 2 } });
  const token = ((await expectStatus(res, 201)) as { token: string }).token;
  const a = await joinHollowCell(t.nc, token, "a", 128, { ownUser: nats });
  const b = await joinHollowCell(t.nc, token, "b", 4096, { ownUser: nats });
  onTestFinished(() => {
    a.stop();
    b.stop();
  });
  const acme = await t.tenantWithToken("acme");
  await pushApp(t, acme, "web");
  const start = await eventually(async () => b.starts[0]);
  await b.report(start, "RUNNING");
  await eventually(async () => ((await instanceStates(t, acme, "web"))[0] === "RUNNING" ? true : undefined));
  return { a, b, acme, start };
}

async function instanceStates(t: TestApi, token: string, app: string): Promise<string[]> {
  const page = (await expectStatus(await t.call(`/v1/apps/${app}/instances`, { token }), 200)) as {
    items: { state: string }[];
  };
  return page.items.map((i) => i.state);
}

/** The lines of an app's log stream once `last` is among them (lines published after the rest). */
async function logsUpTo(t: TestApi, token: string, app: string, last: string): Promise<string[]> {
  return eventually(async () => {
    const lines = await readLogLines(await t.call(`/v1/apps/${app}/logs?lines=100`, { token }));
    return lines.includes(last) ? lines : undefined;
  });
}

async function counted(t: TestApi, counter: "logLinesDropped" | "cellMessagesRejected", reason: string) {
  const { values } = await t.api.metrics[counter].get();
  return values.filter((v) => v.labels.reason === reason).reduce((sum, v) => sum + v.value, 0);
}

/** Publishes on `cell`'s connection and waits until the server has answered (errors included). */
async function settled(cell: HollowCell): Promise<void> {
  await cell.nc.flush();
}

describeWith(["root", "postgres", "nats"], "a cell speaks only as itself on NATS", () => {
  it("cannot put a line into the logs of an instance placed on another cell", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const { a, b, acme, start } = await twoCells(t, nats);
    b.log(start, "genuine 1");
    await settled(b);
    const dropped = await counted(t, "logLinesDropped", "not-placed-on-cell");

    // on its own subject: NATS takes it, the api sees the instance is not placed on a and drops it
    a.log(start, "forged by a");
    // on b's subject: NATS refuses it
    a.log(start, "forged as b", { claim: b.cellId, subjectOf: b.cellId });
    await settled(a);
    b.log(start, "genuine 2");
    await settled(b);

    expect(await logsUpTo(t, acme, "web", "genuine 2")).toEqual(["genuine 1", "genuine 2"]);
    expect(a.violations.join(" ")).toContain(
      `Permissions Violation for Publish to "${subjects.logs(b.cellId, start.tenantId, start.appId, start.instanceId)}"`,
    );
    expect(await counted(t, "logLinesDropped", "not-placed-on-cell")).toBeGreaterThan(dropped);
    expect(b.violations).toEqual([]);
  });

  it("pulls only its own policy slice: another cell's subject is refused by NATS, another cell's id by the api", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { a, b, acme, start } = await twoCells(t, nats);
    // b's own slice names web's address (its instance runs there) once a policy names web
    await pushApp(t, acme, "api");
    await expectStatus(
      await t.call("/v1/policies", {
        method: "POST",
        token: acme,
        json: { source: "web", destination: "api", port: 80 },
      }),
      201,
    );
    const mine = await eventually(async () => b.policies.find((s) => s.rules.length === 1));
    expect(mine.apps.map((x) => x.appId)).toContain(start.appId);
    // a's slice: a runs nothing, so no rule concerns it
    expect(a.policies.at(-1)?.rules).toEqual([]);

    const ask = (subject: string, cellId: string) =>
      a.nc.request(subject, encode(PolicySliceRequest, { v: 1, cellId, enforced: -1 }), { timeout: 1_000 });
    await expect(ask(subjects.policySlice(b.cellId), b.cellId)).rejects.toThrow();
    expect(a.violations.join(" ")).toContain(
      `Permissions Violation for Publish to "${subjects.policySlice(b.cellId)}"`,
    );
    const refused = decodeOrThrow(
      PolicySliceReply,
      (await ask(subjects.policySlice(a.cellId), b.cellId)).data,
    );
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining("subject-mismatch") });
    expect(b.violations).toEqual([]);
  });

  it("cannot send a heartbeat or an instance event as another cell: nothing about it changes", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { a, b, acme, start } = await twoCells(t, nats);
    b.heartbeat();
    await settled(b);
    const before = await eventually(async () => {
      const row = await cellById(t.db, b.cellId);
      return row.lastReport ? row : undefined;
    });

    const forgedBeat = {
      v: 2 as const,
      cellId: b.cellId,
      seq: 1_000_000,
      at: new Date().toISOString(),
      capacity: { memoryMb: 1, diskMb: 1, containers: 1 },
      available: { memoryMb: 0, diskMb: 0, containers: 0 },
      instances: [],
    };
    a.nc.publish(subjects.heartbeat(b.cellId), encode(CellHeartbeat, forgedBeat));
    await expect(a.report(start, "CRASHED", { claim: b.cellId, subjectOf: b.cellId })).rejects.toThrow();
    // on its own subject, about b's instance: NATS takes it, the api refuses it
    const refused = await counted(t, "cellMessagesRejected", "not-on-this-cell");
    await a.report(start, "CRASHED");
    await eventually(async () =>
      (await counted(t, "cellMessagesRejected", "not-on-this-cell")) > refused ? true : undefined,
    );

    const violations = a.violations.join(" ");
    expect(violations).toContain(`Permissions Violation for Publish to "${subjects.heartbeat(b.cellId)}"`);
    expect(violations).toContain(
      `Permissions Violation for Publish to "${subjects.instanceEvents(b.cellId)}"`,
    );
    const after = await cellById(t.db, b.cellId);
    expect(after.lastReport).toEqual(before.lastReport);
    expect(after.state).toBe("active");
    expect(await instanceStates(t, acme, "web")).toEqual(["RUNNING"]);
  });

  it("cannot hear another cell's commands, exec controls or logs, nor everything, nor write its exec output", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { a, b, start } = await twoCells(t, nats);
    const heard: string[] = [];
    const forbidden = [
      subjects.commands(b.cellId),
      subjects.exec(b.cellId),
      subjects.execControl(b.cellId, "e1"),
      subjects.cellExecControls(b.cellId),
      subjects.execOutput(b.cellId, "e1", "a1"),
      subjects.cellLogs(b.cellId),
      subjects.appLogs(start.tenantId, start.appId),
      subjects.tenantLogs(start.tenantId),
      subjects.allLegacyLogs,
      subjects.allHeartbeats,
      "grove.v1.>",
      ">",
    ];
    for (const subject of forbidden)
      a.nc.subscribe(subject, {
        // a refused subscription hears its permission error here, and nothing else
        callback: (error, msg) => {
          if (!error) heard.push(msg.subject);
        },
      });
    const output = subjects.execOutput(b.cellId, "e1", "a1");
    a.nc.publish(output, "{}");
    await settled(a);
    // traffic on each of them, as the api and b would send it
    b.log(start, "hello");
    b.heartbeat();
    for (const subject of [subjects.execControl(b.cellId, "e1"), subjects.execOutput(b.cellId, "e1", "a1")])
      t.nc.publish(subject, "{}");
    await settled(b);
    await t.nc.flush();
    await settled(a);

    for (const subject of forbidden)
      expect(a.violations.join(" ")).toContain(`Permissions Violation for Subscription to "${subject}"`);
    expect(a.violations.join(" ")).toContain(`Permissions Violation for Publish to "${output}"`);
    expect(heard).toEqual([]);
  });

  it("never shows one tenant's app lines of another tenant, whatever a cell publishes", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const res = await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 2 } });
    const token = ((await expectStatus(res, 201)) as { token: string }).token;
    // acme's app on a (the only cell), then globex's on b (too big for what a has left)
    const a: HollowCell = await joinHollowCell(t.nc, token, "a", 1024, { ownUser: nats });
    onTestFinished(() => a.stop());
    const acme = await t.tenantWithToken("acme");
    await pushApp(t, acme, "web");
    const acmeStart = await eventually(async () => a.starts[0]);
    const b: HollowCell = await joinHollowCell(t.nc, token, "b", 4096, { ownUser: nats });
    onTestFinished(() => b.stop());
    const globex = await t.tenantWithToken("globex");
    await pushApp(t, globex, "web", { memory_mb: 1000 });
    const globexStart = await eventually(async () => b.starts[0]);
    expect(a.starts).toHaveLength(1);

    a.log(acmeStart, "acme 1");
    b.log(globexStart, "globex 1");
    // b writes under acme's app: for its own instance, and for acme's instance
    b.log({ ...globexStart, appId: acmeStart.appId }, "globex's instance under acme's app");
    b.log(acmeStart, "b claims acme's instance");
    // a writes acme's lines into globex's app, on its own subject and on b's
    a.log({ ...acmeStart, appId: globexStart.appId }, "acme's instance under globex's app");
    a.log(globexStart, "a claims globex's instance");
    a.log(globexStart, "a as b", { claim: b.cellId, subjectOf: b.cellId });
    await Promise.all([settled(a), settled(b)]);
    a.log(acmeStart, "acme 2");
    b.log(globexStart, "globex 2");
    await Promise.all([settled(a), settled(b)]);

    expect(await logsUpTo(t, acme, "web", "acme 2")).toEqual(["acme 1", "acme 2"]);
    expect(await logsUpTo(t, globex, "web", "globex 2")).toEqual(["globex 1", "globex 2"]);
  });
});
