import { randomUUID } from "node:crypto";
import { encode, LogLine, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { startNats } from "@grove/testkit/services";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { expect, onTestFinished } from "vitest";
import { LEGACY_LOGS_STREAM, retireOverlappingLogsStream, tenantLogsStream } from "../src/logs/stream";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf, webApp } from "./harness";
import { type HollowCell, joinHollowCell } from "./hollow-cell";
import { readEvents } from "./log-events";

async function setup(t: TestApi) {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 2 } });
  const token = ((await expectStatus(res, 201)) as { token: string }).token;
  const a = await joinHollowCell(t.nc, token, "a");
  const b = await joinHollowCell(t.nc, token, "b", 128);
  const dev = await t.tenantWithToken("acme");
  await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
  const tar = await tarOf({ "app.sh": "httpd" });
  await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", token: dev, body: tar }), 200);
  await eventually(async () => (a.starts.length === 1 ? true : undefined));
  return { a, b, dev, start: a.starts[0] as HollowCell["starts"][0] };
}

async function messagesRead(t: TestApi): Promise<number> {
  const text = await (await t.call("/metrics", { token: null })).text();
  const line = text.split("\n").find((l) => l.startsWith("grove_log_tail_messages_read_total "));
  return Number(line?.split(" ").at(-1) ?? Number.NaN);
}

describeWith(["root", "postgres", "nats"], "app logs", () => {
  it("returns the last lines and ends without follow, dropping lines forged by another cell", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { a, b, dev, start } = await setup(t);
    for (const n of [1, 2, 3]) a.log(start, `line ${n}`);
    b.log(start, "forged by b");
    b.log(start, "forged with a's id", { claim: a.cellId });
    a.log(start, "line 4");
    const read = async () => readEvents(await t.call("/v1/apps/web/logs?lines=3", { token: dev }), 100);
    const { events, ended } = await eventually(async () => {
      const r = await read();
      return r.events.at(-1)?.data.line === "line 4" ? r : undefined;
    });
    expect(ended).toBe(true);
    expect(events.map((e) => e.data.line)).toEqual(["line 2", "line 3", "line 4"]);
    expect(events[0]?.data).toMatchObject({ index: 0, instance_id: start.instanceId });
    a.stop();
    b.stop();
  });

  it("follows new lines after the recent ones, and resumes after Last-Event-ID", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const { a, b, dev, start } = await setup(t);
    a.log(start, "before");
    await eventually(async () => {
      const r = await readEvents(await t.call("/v1/apps/web/logs", { token: dev }), 1);
      return r.events.length === 1 ? true : undefined;
    });
    const live = await t.call("/v1/apps/web/logs?follow=true&lines=10", { token: dev });
    expect(live.headers.get("content-type")).toContain("text/event-stream");
    const pending = readEvents(live, 2);
    a.log(start, "after");
    const followed = await pending;
    expect(followed.events.map((e) => e.data.line)).toEqual(["before", "after"]);
    await followed.cancel();
    const resumed = await readEvents(
      await t.call("/v1/apps/web/logs", {
        token: dev,
        headers: { "last-event-id": followed.events[0]?.id as string },
      }),
      100,
    );
    expect(resumed.events.map((e) => e.data.line)).toEqual(["after"]);
    a.stop();
    b.stop();
  });

  it("reads from the stream only about the lines a tail returns, however many are stored", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { a, b, dev, start } = await setup(t);
    const other = { ...start, appId: randomUUID(), instanceId: randomUUID() };
    for (let n = 0; n < 1000; n++) {
      a.log(start, `line ${n}`);
      a.log(other, `other app ${n}`);
    }
    const jsm = await jetstreamManager(t.nc);
    await eventually(async () => {
      const info = await jsm.streams.info(tenantLogsStream(start.tenantId), {
        subjects_filter: subjects.appLogs(start.tenantId, start.appId),
      });
      return info.state.subjects?.[subjects.logs(a.cellId, start.tenantId, start.appId, start.instanceId)] ===
        1000
        ? true
        : undefined;
    });
    const readBefore = await messagesRead(t);
    const { events, ended } = await readEvents(
      await t.call("/v1/apps/web/logs?lines=10", { token: dev }),
      100,
    );
    expect(ended).toBe(true);
    expect(events.map((e) => e.data.line)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${990 + i}`));
    expect((await messagesRead(t)) - readBefore).toBe(10);
    a.stop();
    b.stop();
  });

  it("deletes a logs stream of a release before logs named their cell, which would overlap the tenants' streams", async () => {
    // a server of its own: on the file's, tenants' streams already overlap the old one
    const nats = await startNats();
    const nc = await nats.connect().catch(async (error) => {
      await nats.stop();
      throw error;
    });
    onTestFinished(async () => {
      await nc.close();
      await nats.stop();
    });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: LEGACY_LOGS_STREAM, subjects: ["grove.v1.logs.>"] });
    await jetstream(nc).publish("grove.v1.logs.app.i-1", "an old line with a credential");
    await retireOverlappingLogsStream(nc);
    await expect(jsm.streams.info(LEGACY_LOGS_STREAM)).rejects.toThrow();
    // the stream of the release before (lines without their tenant) is kept: it does not overlap
    await jsm.streams.add({ name: LEGACY_LOGS_STREAM, subjects: [subjects.allLegacyLogs] });
    await retireOverlappingLogsStream(nc);
    expect((await jsm.streams.info(LEGACY_LOGS_STREAM)).config.subjects).toEqual([subjects.allLegacyLogs]);
    await jsm.streams.delete(LEGACY_LOGS_STREAM);
  });

  it("keeps each tenant's lines in its own stream: one tenant's flood evicts none of another's", async ({
    pg,
    nats,
  }) => {
    const limit = 256 * 1024;
    const t = await startTestApi(pg, nats, { GROVE_TENANT_LOG_BYTES: String(limit) });
    const { a, b, dev, start } = await setup(t);
    for (let n = 1; n <= 20; n++) a.log(start, `acme ${n}`);
    // another tenant's app floods: 1,000 lines of 1 KiB, four times its tenant's limit
    const loud = await t.tenantWithToken("loud");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: loud, json: webApp() }), 201);
    const tar = await tarOf({ "app.sh": "httpd" });
    await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", token: loud, body: tar }), 200);
    const { cell, loudStart } = await eventually(async () => {
      for (const cell of [a, b]) {
        const found = cell.starts.find((s) => s.tenantId !== start.tenantId);
        if (found) return { cell, loudStart: found };
      }
      return undefined;
    }, 20_000);
    const filler = "x".repeat(1024);
    for (let n = 1; n <= 1000; n++) cell.log(loudStart, `loud ${n} ${filler}`);
    cell.log(loudStart, "loud last");

    const jsm = await jetstreamManager(t.nc);
    const loudStream = tenantLogsStream(loudStart.tenantId);
    await eventually(async () => {
      const r = await readEvents(await t.call("/v1/apps/web/logs?lines=1", { token: loud }), 1);
      return r.events[0]?.data.line === "loud last" ? true : undefined;
    }, 20_000);
    const loudInfo = await jsm.streams.info(loudStream);
    expect(loudInfo.config.max_bytes).toBe(limit);
    expect(loudInfo.state.bytes).toBeLessThanOrEqual(limit);
    expect(loudInfo.state.messages).toBeLessThan(1001); // its own oldest lines went
    // every line of the quiet tenant is still there
    const { events } = await readEvents(await t.call("/v1/apps/web/logs?lines=100", { token: dev }), 100);
    expect(events.map((e) => e.data.line)).toEqual(Array.from({ length: 20 }, (_, i) => `acme ${i + 1}`));
    a.stop();
    b.stop();
  });

  it("moves lines of the form before tenants (an older cell's) to their tenant's stream", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { a, b, dev, start } = await setup(t);
    const line = (text: string) =>
      encode(LogLine, {
        v: 2,
        cellId: a.cellId,
        appId: start.appId,
        instanceId: start.instanceId,
        index: start.index,
        stream: "stdout",
        line: text,
        at: new Date().toISOString(),
      });
    a.nc.publish(subjects.legacyLogs(a.cellId, start.appId, start.instanceId), line("older form"));
    a.log(start, "newer form");
    const { events } = await eventually(async () => {
      const r = await readEvents(await t.call("/v1/apps/web/logs", { token: dev }), 2);
      return r.events.length === 2 ? r : undefined;
    }, 20_000);
    expect(events.map((e) => e.data.line).sort()).toEqual(["newer form", "older form"]);
    a.stop();
    b.stop();
  });

  it("gives another tenant 404 for the logs", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const { a, b } = await setup(t);
    const other = await t.tenantWithToken("globex");
    await expectStatus(await t.call("/v1/apps/web/logs", { token: other }), 404);
    a.stop();
    b.stop();
  });
});
