import { describe, expect, it } from "vitest";
import { crashed } from "./fixtures.test-helpers";
import { decode, decodeEither, encode, InstanceEvent, InstanceEvents, MAX_EVENT_BATCH } from "./index";

const eventOf = (n: number) => ({
  ...crashed,
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
});
const batchOf = (n: number, cellId = crashed.cellId) => ({
  v: 3 as const,
  batchId: "00000000-0000-4000-8000-00000000b001",
  cellId,
  events: Array.from({ length: n }, (_, i) => eventOf(i)),
});

describe("instance event batches", () => {
  it("carry 1 to MAX_EVENT_BATCH events of their own cell", () => {
    expect(decode(InstanceEvents, JSON.stringify(batchOf(1))).ok).toBe(true);
    expect(decode(InstanceEvents, JSON.stringify(batchOf(MAX_EVENT_BATCH))).ok).toBe(true);
    expect(decode(InstanceEvents, JSON.stringify(batchOf(0))).ok).toBe(false);
    expect(decode(InstanceEvents, JSON.stringify(batchOf(MAX_EVENT_BATCH + 1))).ok).toBe(false);
    // an event naming another cell than the batch's refuses the whole batch
    const mixed = batchOf(2);
    mixed.events[1] = { ...eventOf(1), cellId: "00000000-0000-4000-8000-00000000c0ff" };
    const refused = decode(InstanceEvents, JSON.stringify(mixed));
    expect(refused.ok ? undefined : refused.error.kind).toBe("invalid-fields");
  });

  it("are told from single events by their version, parsed once", () => {
    const single = decodeEither([InstanceEvent, InstanceEvents], encode(InstanceEvent, crashed));
    expect(single.ok && single.value.of).toBe(0);
    const batch = decodeEither([InstanceEvent, InstanceEvents], encode(InstanceEvents, batchOf(3)));
    if (!batch.ok || batch.value.of !== 1) throw new Error("not decoded as a batch");
    expect(batch.value.message.events.map((e) => e.eventId)).toEqual(
      [0, 1, 2].map((n) => eventOf(n).eventId),
    );
    const other = decodeEither([InstanceEvent, InstanceEvents], JSON.stringify({ ...crashed, v: 7 }));
    expect(other.ok ? undefined : other.error.kind).toBe("unsupported-version");
    const garbage = decodeEither([InstanceEvent, InstanceEvents], "{");
    expect(garbage.ok ? undefined : garbage.error.kind).toBe("malformed-json");
  });
});
