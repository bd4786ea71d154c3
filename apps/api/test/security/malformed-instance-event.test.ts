import { randomUUID } from "node:crypto";
import { DEAD_LETTERS_STREAM, INSTANCE_EVENTS_STREAM, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { jetstream, jetstreamManager, type StoredMsg } from "@nats-io/jetstream";
import { expect } from "vitest";
import { DEAD_LETTER_HEADERS } from "../../src/nats/dead-letters";
import { INSTANCE_EVENTS_CONSUMER } from "../../src/nats/instance-events-stream";
import { eventually, expectStatus, joinToken, startTestApi, type TestApi, tarOf, webApp } from "../harness";
import { type HollowCell, joinHollowCell } from "../hollow-cell";

/** An api (dead letters after the default 5 deliveries, 50 ms apart) with one instance placed on a hollow cell. */
async function placedInstance(
  pg: Parameters<typeof startTestApi>[0],
  nats: Parameters<typeof startTestApi>[1],
) {
  const t = await startTestApi(pg, nats, { GROVE_REDELIVERY_DELAY_MS: "50" });
  const cell = await joinHollowCell(t.nc, await joinToken(t), `cell-${randomUUID().slice(0, 8)}`);
  const dev = await t.tenantWithToken(`t${randomUUID().slice(0, 8)}`);
  await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("web") }), 201);
  await expectStatus(
    await t.call("/v1/apps/web/bits", {
      method: "PUT",
      token: dev,
      body: await tarOf({ "app.sh": "httpd" }),
    }),
    200,
  );
  const start = await eventually(async () => cell.starts[0]);
  return { t, cell, dev, start };
}

/** The dead letters of events `cell` published (the stream is shared by the file's tests). */
async function deadLetters(t: TestApi, cell: HollowCell): Promise<StoredMsg[]> {
  const jsm = await jetstreamManager(t.nc);
  const { state } = await jsm.streams.info(DEAD_LETTERS_STREAM);
  const letters: StoredMsg[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const letter = await jsm.streams.getMessage(DEAD_LETTERS_STREAM, { seq });
    if (letter?.header.get(DEAD_LETTER_HEADERS.subject) === subjects.instanceEvents(cell.cellId)) {
      letters.push(letter);
    }
  }
  return letters;
}

async function deadLetterCount(t: TestApi, reason: string): Promise<number> {
  const text = await (await t.call("/metrics", { token: null })).text();
  const line = text
    .split("\n")
    .find((l) =>
      l.startsWith(`grove_dead_letters_total{stream="${INSTANCE_EVENTS_STREAM}",reason="${reason}"}`),
    );
  return Number(line?.split(" ").at(-1) ?? 0);
}

/** The running state of the app's one instance, once the next valid event is applied. */
async function stillProcessesEvents(
  t: TestApi,
  cell: HollowCell,
  dev: string,
  start: HollowCell["starts"][0],
) {
  await cell.report(start, "RUNNING");
  await eventually(async () => {
    const page = (await expectStatus(await t.call("/v1/apps/web/instances", { token: dev }), 200)) as {
      items: { state: string }[];
    };
    return page.items[0]?.state === "RUNNING" ? true : undefined;
  });
  // nothing is left to redeliver: the consumer has settled every message
  const jsm = await jetstreamManager(t.nc);
  await eventually(async () => {
    const consumer = await jsm.consumers.info(INSTANCE_EVENTS_STREAM, INSTANCE_EVENTS_CONSUMER);
    return consumer.num_ack_pending + consumer.num_pending === 0 ? true : undefined;
  });
}

describeWith(["postgres", "nats"], "security: malformed instance events", () => {
  it("dead-letters an event that is not an instance event at once, and goes on with the next", async ({
    pg,
    nats,
  }) => {
    const { t, cell, dev, start } = await placedInstance(pg, nats);
    const garbage = JSON.stringify({ v: 2, cellId: cell.cellId, eventId: "x", state: "EXPLODED" });
    await jetstream(t.nc).publish(subjects.instanceEvents(cell.cellId), garbage);

    const [letter] = await eventually(async () => {
      const letters = await deadLetters(t, cell);
      return letters.length > 0 ? letters : undefined;
    });
    expect(letter?.string()).toBe(garbage);
    expect(letter?.header.get(DEAD_LETTER_HEADERS.reason)).toBe("invalid");
    expect(letter?.header.get(DEAD_LETTER_HEADERS.subject)).toBe(subjects.instanceEvents(cell.cellId));
    expect(letter?.header.get(DEAD_LETTER_HEADERS.deliveries)).toBe("1");
    expect(await deadLetterCount(t, "invalid")).toBe(1);
    await stillProcessesEvents(t, cell, dev, start);
    cell.stop();
  });

  it("dead-letters an event of the version before credentials left messages at once, and goes on", async ({
    pg,
    nats,
  }) => {
    const { t, cell, dev, start } = await placedInstance(pg, nats);
    const old = JSON.stringify({
      v: 1,
      eventId: randomUUID(),
      cellId: cell.cellId,
      credential: "c".repeat(43),
      instanceId: start.instanceId,
      appId: start.appId,
      revision: start.revision,
      index: start.index,
      at: new Date().toISOString(),
      state: "CRASHED",
      exitCode: 1,
      reason: "exited",
    });
    await jetstream(t.nc).publish(subjects.instanceEvents(cell.cellId), old);

    const [letter] = await eventually(async () => {
      const letters = await deadLetters(t, cell);
      return letters.length > 0 ? letters : undefined;
    });
    expect(letter?.header.get(DEAD_LETTER_HEADERS.reason)).toBe("unsupported-version");
    expect(await deadLetterCount(t, "unsupported-version")).toBe(1);
    await stillProcessesEvents(t, cell, dev, start);
    const page = (await expectStatus(await t.call("/v1/apps/web/instances", { token: dev }), 200)) as {
      items: { crash_count: number }[];
    };
    expect(page.items[0]?.crash_count).toBe(0);
    cell.stop();
  });

  it("dead-letters an event with a malformed instance id after 5 failed deliveries, and goes on with the next", async ({
    pg,
    nats,
  }) => {
    const { t, cell, dev, start } = await placedInstance(pg, nats);
    // a valid message whose id the database refuses (instance ids are UUIDs there)
    await cell.report({ ...start, instanceId: "not-a-uuid" }, "STARTING");

    const [letter] = await eventually(async () => {
      const letters = await deadLetters(t, cell);
      return letters.length > 0 ? letters : undefined;
    });
    expect(JSON.parse(letter?.string() ?? "{}")).toMatchObject({ instanceId: "not-a-uuid" });
    expect(letter?.header.get(DEAD_LETTER_HEADERS.reason)).toBe("processing-failed");
    expect(letter?.header.get(DEAD_LETTER_HEADERS.stream)).toBe(INSTANCE_EVENTS_STREAM);
    expect(letter?.header.get(DEAD_LETTER_HEADERS.deliveries)).toBe("5");
    expect(await deadLetterCount(t, "processing-failed")).toBe(1);
    await stillProcessesEvents(t, cell, dev, start);
    expect(await deadLetters(t, cell)).toHaveLength(1);
    cell.stop();
  });
});
