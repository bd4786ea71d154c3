import { decodeOrThrow, InstanceEvent, InstanceEvents } from "@grove/protocol";
import type { JetStreamClient } from "@nats-io/jetstream";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InstanceEventPublisher } from "./instance-events";

const CELL = "00000000-0000-4000-8000-000000000001";

/** A JetStream double that holds each publish until released, and can fail the next ones. */
function heldJetStream() {
  const published: { data: string; msgID: string | undefined }[] = [];
  const waiting: (() => void)[] = [];
  let failures = 0;
  const js = {
    publish: (_subject: string, data: Uint8Array, options?: { msgID?: string }) =>
      new Promise((resolve, reject) => {
        waiting.push(() => {
          if (failures > 0) {
            failures--;
            reject(new Error("no responders"));
            return;
          }
          published.push({ data: Buffer.from(data).toString(), msgID: options?.msgID });
          resolve({ seq: published.length });
        });
      }),
  } as unknown as JetStreamClient;
  return {
    js,
    published,
    /** publishes sent and not answered yet */
    inFlight: () => waiting.length,
    failNext: (n: number) => {
      failures = n;
    },
    /** releases the publish in flight once it is there */
    async release() {
      while (waiting.length === 0) await new Promise((resolve) => setImmediate(resolve));
      (waiting.shift() as () => void)();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const body = (index: number) => ({
  instanceId: `00000000-0000-4000-8000-0000000001${String(index).padStart(2, "0")}`,
  appId: "00000000-0000-4000-8000-000000000002",
  revision: 1,
  index,
  state: "STARTING" as const,
});

describe("InstanceEventPublisher", () => {
  it("publishes each event alone until the api says it takes batches", async () => {
    const js = heldJetStream();
    const events = new InstanceEventPublisher(js.js, { cellId: CELL }, pino({ level: "silent" }));
    for (const i of [0, 1, 2]) events.publish(body(i));
    for (const _ of [0, 1, 2]) await js.release();
    const decoded = js.published.map((p) => decodeOrThrow(InstanceEvent, p.data));
    expect(decoded.map((e) => e.index)).toEqual([0, 1, 2]);
    // the message id is the event's: a retried publish is stored once
    expect(js.published.map((p) => p.msgID)).toEqual(decoded.map((e) => e.eventId));
  });

  it("sends the events that queued while one message was out together, in order and up to the batch size", async () => {
    const js = heldJetStream();
    const events = new InstanceEventPublisher(js.js, { cellId: CELL }, pino({ level: "silent" }), {
      lingerMs: 0,
    });
    events.batchUpTo(3);
    events.publish(body(0)); // out at once, alone
    for (const i of [1, 2, 3, 4]) events.publish(body(i));
    for (const _ of [0, 1, 2]) await js.release();
    await events.flushed();
    expect(js.published).toHaveLength(3);
    expect(decodeOrThrow(InstanceEvent, js.published[0]?.data ?? "").index).toBe(0);
    const batch = decodeOrThrow(InstanceEvents, js.published[1]?.data ?? "");
    expect(batch.events.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(batch.cellId).toBe(CELL);
    expect(js.published[1]?.msgID).toBe(batch.batchId);
    // the last one queued alone: sent alone
    expect(decodeOrThrow(InstanceEvent, js.published[2]?.data ?? "").index).toBe(4);
  });

  it("retries a batch whole under the same id, with the events queued meanwhile left for the next", async () => {
    const js = heldJetStream();
    const events = new InstanceEventPublisher(js.js, { cellId: CELL }, pino({ level: "silent" }), {
      lingerMs: 0,
    });
    events.batchUpTo(10);
    events.publish(body(0));
    events.publish(body(1));
    events.publish(body(2));
    await js.release(); // [0] went; [1, 2] go out next
    js.failNext(1);
    await js.release(); // [1, 2] failed
    events.publish(body(3));
    await js.release(); // [1, 2] again
    await js.release(); // [3]
    await events.flushed();
    expect(js.published).toHaveLength(3);
    const retried = decodeOrThrow(InstanceEvents, js.published[1]?.data ?? "");
    expect(retried.events.map((e) => e.index)).toEqual([1, 2]);
    expect(decodeOrThrow(InstanceEvent, js.published[2]?.data ?? "").index).toBe(3);
  });

  describe("lingering", () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    const fakeClock = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const settle = () => new Promise((resolve) => setImmediate(resolve));

    it("holds a batch's first event until others joined it or its linger ran out", async () => {
      fakeClock();
      const js = heldJetStream();
      const events = new InstanceEventPublisher(js.js, { cellId: CELL }, pino({ level: "silent" }), {
        lingerMs: 50,
      });
      events.batchUpTo(10);
      events.publish(body(0));
      await vi.advanceTimersByTimeAsync(30);
      events.publish(body(1));
      events.publish(body(2));
      await vi.advanceTimersByTimeAsync(19);
      await settle();
      expect(js.published).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1); // 50 ms after the first
      await js.release();
      const batch = decodeOrThrow(InstanceEvents, js.published[0]?.data ?? "");
      expect(batch.events.map((e) => e.index)).toEqual([0, 1, 2]);
    });

    it("sends a full batch at once, and events that waited for the previous message without waiting again", async () => {
      fakeClock();
      const js = heldJetStream();
      const events = new InstanceEventPublisher(js.js, { cellId: CELL }, pino({ level: "silent" }), {
        lingerMs: 50,
      });
      events.batchUpTo(2);
      events.publish(body(0));
      events.publish(body(1)); // full: out now, no time passing
      await js.release();
      expect(decodeOrThrow(InstanceEvents, js.published[0]?.data ?? "").events).toHaveLength(2);
      events.publish(body(2));
      await vi.advanceTimersByTimeAsync(30);
      events.publish(body(3)); // [2, 3] full: out before its linger ran out
      await settle();
      expect(js.inFlight()).toBe(1);
      events.publish(body(4)); // queued while [2, 3] is out
      await vi.advanceTimersByTimeAsync(50); // [4] waits its linger while [2, 3] is out
      await js.release();
      await settle();
      expect(js.inFlight()).toBe(1); // [4] out at once: no time passed since [2, 3] came back
      await js.release();
      expect(decodeOrThrow(InstanceEvents, js.published[1]?.data ?? "").events.map((e) => e.index)).toEqual([
        2, 3,
      ]);
      expect(decodeOrThrow(InstanceEvent, js.published[2]?.data ?? "").index).toBe(4);
    });

    it("never holds events while the api takes them one at a time", async () => {
      fakeClock();
      const js = heldJetStream();
      const events = new InstanceEventPublisher(js.js, { cellId: CELL }, pino({ level: "silent" }), {
        lingerMs: 60_000,
      });
      events.publish(body(0));
      await js.release();
      expect(decodeOrThrow(InstanceEvent, js.published[0]?.data ?? "").index).toBe(0);
    });
  });
});
