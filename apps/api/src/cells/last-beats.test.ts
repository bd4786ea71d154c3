import { CellHeartbeat, decodeOrThrow, encode } from "@grove/protocol";
import { describe, expect, it } from "vitest";
import { LastBeats } from "./last-beats";
import { digestReport } from "./report-digest";

const CELL = "00000000-0000-4000-8000-0000000000c1";
const beat = (seq: number, state: "STARTING" | "RUNNING" = "RUNNING") =>
  decodeOrThrow(
    CellHeartbeat,
    JSON.stringify({
      v: 2,
      cellId: CELL,
      seq,
      at: new Date(1_800_000_000_000 + seq * 5_000).toISOString(),
      capacity: { memoryMb: 4096, diskMb: 20480, containers: 250 },
      available: { memoryMb: 3968, diskMb: 20224, containers: 249 },
      instances: [
        {
          instanceId: "00000000-0000-4000-8000-0000000000a1",
          appId: "00000000-0000-4000-8000-0000000000b1",
          revision: 1,
          index: 0,
          state,
          usage: { cpuPercent: 3, memoryBytes: 1024, diskBytes: 2048 },
        },
      ],
      volumes: [],
      maxStartBatch: 250,
    }),
  );
/** what an agent sends: the beat as `encode` writes it */
const sent = (value: CellHeartbeat) => new TextDecoder().decode(encode(CellHeartbeat, value));
const remembered = (seq: number) => {
  const last = new LastBeats();
  last.remember(CELL, sent(beat(seq)), beat(seq), digestReport(beat(seq)));
  return last;
};

describe("LastBeats", () => {
  it("gives back the report of a beat whose text equals its cell's last but for when it was sent, stamped anew", () => {
    const last = new LastBeats();
    expect(last.repeat(CELL, sent(beat(1)))).toBeUndefined();
    last.remember(CELL, sent(beat(1)), beat(1), digestReport(beat(1)));
    for (const seq of [2, 10, 123_456]) {
      const repeated = last.repeat(CELL, sent(beat(seq)));
      const fresh = digestReport(beat(seq));
      expect(repeated?.digests).toEqual(fresh.digests);
      expect(repeated?.bodyJson).toBe(fresh.bodyJson);
      expect(JSON.parse(repeated?.json ?? "")).toEqual(JSON.parse(fresh.json));
      expect(JSON.parse(repeated?.json ?? "")).toMatchObject({ seq, at: beat(seq).at });
    }
    // another cell's memory is its own
    expect(last.repeat("00000000-0000-4000-8000-0000000000c2", sent(beat(2)))).toBeUndefined();
  });

  it("gives nothing back for a beat that differs, or whose stamp is not valid: those are decoded in full", () => {
    const last = remembered(1);
    const two = sent(beat(2));
    expect(last.repeat(CELL, sent(beat(2, "STARTING")))).toBeUndefined();
    expect(last.repeat(CELL, two.replace(beat(2).at, "yesterday"))).toBeUndefined();
    expect(last.repeat(CELL, two.replace('"seq":2', '"seq":-2'))).toBeUndefined();
    expect(last.repeat(CELL, two.replace('"seq":2', '"seq":02'))).toBeUndefined();
    expect(last.repeat(CELL, two.replace('"seq":2', '"seq":2.5'))).toBeUndefined();
    expect(last.repeat(CELL, two.replace('"seq":2', '"seq":99999999999999999'))).toBeUndefined();
    expect(last.repeat(CELL, two.replace('"at":"', '"at":"\\u0032'))).toBeUndefined();
    expect(last.repeat(CELL, two.replace(/}$/, ',"extra":true}'))).toBeUndefined();
    expect(last.repeat(CELL, two.replace(/}$/, " }"))).toBeUndefined();
    expect(last.repeat(CELL, `[${two}]`)).toBeUndefined();
    expect(last.repeat(CELL, "null")).toBeUndefined();
    // the same text after the stamp from another cell's subject
    const other = "00000000-0000-4000-8000-0000000000c2";
    expect(last.repeat(other, two.replace(CELL, other))).toBeUndefined();
    // and the beat itself still repeats
    expect(last.repeat(CELL, two)).toBeDefined();
  });

  it("remembers only a beat written as the schema serialises it: any other text is decoded in full each time", () => {
    const last = new LastBeats();
    const spaced = JSON.stringify(beat(1), null, 1);
    last.remember(CELL, spaced, beat(1), digestReport(beat(1)));
    expect(last.repeat(CELL, spaced)).toBeUndefined();
    // fields in another order than the schema's
    const { capacity, ...rest } = beat(1);
    const reordered = JSON.stringify({ ...rest, capacity });
    last.remember(CELL, reordered, beat(1), digestReport(beat(1)));
    expect(last.repeat(CELL, reordered)).toBeUndefined();
    // a field the schema drops
    const extra = JSON.stringify({ ...beat(1), extra: true });
    last.remember(CELL, extra, beat(1), digestReport(beat(1)));
    expect(last.repeat(CELL, extra)).toBeUndefined();
    // a beat not remembered forgets the one before it
    const forgot = remembered(1);
    forgot.remember(CELL, spaced, beat(1), digestReport(beat(1)));
    expect(forgot.repeat(CELL, sent(beat(2)))).toBeUndefined();
  });
});

describe("LastBeats memory", () => {
  it("forgets cells not heard for a while (a removed cell's last beat is not kept forever)", () => {
    let now = 0;
    const last = new LastBeats(60_000, () => now);
    const other = "00000000-0000-4000-8000-0000000000c2";
    const otherBeat = (seq: number) => ({ ...beat(seq), cellId: other });
    last.remember(CELL, sent(beat(1)), beat(1), digestReport(beat(1)));
    last.remember(other, sent(otherBeat(1)), otherBeat(1), digestReport(otherBeat(1)));
    // CELL keeps beating (repeats), the other falls silent
    for (now = 5_000; now <= 70_000; now += 5_000)
      expect(last.repeat(CELL, sent(beat(now / 5_000)))).toBeDefined();
    expect(last.size).toBe(2);
    // the next remembered beat sweeps: the silent cell is forgotten, the beating one kept
    last.remember(CELL, sent(beat(20, "STARTING")), beat(20, "STARTING"), digestReport(beat(20, "STARTING")));
    expect(last.size).toBe(1);
    expect(last.repeat(other, sent(otherBeat(2)))).toBeUndefined();
    expect(last.repeat(CELL, sent(beat(21, "STARTING")))).toBeDefined();
  });
});
