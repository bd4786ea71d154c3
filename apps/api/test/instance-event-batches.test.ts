import { randomUUID } from "node:crypto";
import { DEAD_LETTERS_STREAM, encode, InstanceEvents, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { expect } from "vitest";
import { DEAD_LETTER_HEADERS } from "../src/nats/dead-letters";
import { INSTANCE_EVENTS_CONSUMER } from "../src/nats/instance-events-stream";
import { eventually, expectStatus, pushApp, startTestApi, type TestApi } from "./harness";
import { hollowCellOf, hollowInstanceEvent } from "./hollow-cell";

interface Instance {
  id: string;
  state: string;
  crash_count: number;
  ports: { hostPort: number }[];
}

async function instancesOf(t: TestApi, token: string): Promise<Instance[]> {
  const page = (await expectStatus(await t.call("/v1/apps/web/instances", { token }), 200)) as {
    items: Instance[];
  };
  return page.items;
}

/** Resolves once the api's consumer has settled every instance event message. */
async function settled(t: TestApi): Promise<void> {
  const jsm = await jetstreamManager(t.nc);
  await eventually(async () => {
    const info = await jsm.consumers.info("GROVE_INSTANCE_EVENTS", INSTANCE_EVENTS_CONSUMER);
    return info.num_ack_pending + info.num_pending === 0 ? true : undefined;
  });
}

/** An api and a hollow cell that was sent the starts of the app `web`'s `instances` instances, by index. */
async function placed(
  pg: Parameters<typeof startTestApi>[0],
  nats: Parameters<typeof startTestApi>[1],
  instances: number,
) {
  const t = await startTestApi(pg, nats);
  const cell = await hollowCellOf(t, `cell-${randomUUID().slice(0, 8)}`);
  const dev = await t.tenantWithToken("acme");
  await pushApp(t, dev, "web", { instances });
  const starts = await eventually(async () =>
    cell.starts.length === instances ? [...cell.starts].sort((x, y) => x.index - y.index) : undefined,
  );
  return { t, cell, dev, starts };
}

describeWith(["postgres", "nats"], "batches of instance events", () => {
  it("applies a batch's events in order, and a batch sent again under its id changes nothing", async ({
    pg,
    nats,
  }) => {
    const { t, cell, dev, starts } = await placed(pg, nats, 3);
    const [one, two, three] = starts as [(typeof starts)[0], (typeof starts)[0], (typeof starts)[0]];
    // one message: each instance STARTING then RUNNING, the third crashes once on the way
    const batchId = await cell.reportBatch([
      { start: one, state: "STARTING" },
      { start: two, state: "STARTING" },
      { start: three, state: "STARTING" },
      { start: three, state: "CRASHED" },
      { start: one, state: "RUNNING" },
      { start: two, state: "RUNNING" },
      { start: three, state: "RUNNING" },
    ]);
    const running = await eventually(async () => {
      const listed = await instancesOf(t, dev);
      return listed.length === 3 && listed.every((i) => i.state === "RUNNING") ? listed : undefined;
    });
    expect(running.map((i) => i.crash_count)).toEqual([0, 0, 1]);

    // the same batch again (a publish retried after its acknowledgement was lost, past
    // JetStream's duplicate window): applied once already, so the crash is not counted twice
    await cell.reportBatch([{ start: three, state: "CRASHED" }], batchId);
    await settled(t);
    const after = await instancesOf(t, dev);
    expect(after.map((i) => [i.state, i.crash_count])).toEqual([
      ["RUNNING", 0],
      ["RUNNING", 0],
      ["RUNNING", 1],
    ]);
  });

  it("dead-letters a batch holding another cell's event whole, and applies none of it", async ({
    pg,
    nats,
  }) => {
    const { t, cell, dev, starts } = await placed(pg, nats, 1);
    const start = starts[0] as (typeof starts)[0];
    const mine = hollowInstanceEvent(cell.cellId, start, "RUNNING", {
      address: "127.0.0.1",
      hostPort: 61000,
    });
    const forged = { ...mine, eventId: randomUUID(), cellId: randomUUID() };
    // built by hand: `encode` refuses such a batch at the sender
    const body = JSON.stringify({
      v: 3,
      batchId: randomUUID(),
      cellId: cell.cellId,
      events: [mine, forged],
    });
    expect(() => encode(InstanceEvents, JSON.parse(body))).toThrow();
    await jetstream(cell.nc).publish(subjects.instanceEvents(cell.cellId), body);

    const jsm = await jetstreamManager(t.nc);
    const letter = await eventually(async () => {
      const { state } = await jsm.streams.info(DEAD_LETTERS_STREAM);
      for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
        const stored = await jsm.streams.getMessage(DEAD_LETTERS_STREAM, { seq });
        if (stored?.string() === body) return stored;
      }
      return undefined;
    });
    expect(letter.header.get(DEAD_LETTER_HEADERS.reason)).toBe("invalid");
    await settled(t);
    expect((await instancesOf(t, dev)).map((i) => i.state)).toEqual(["PLACED"]);
  });
});
