import { CellHeartbeat, decodeOrThrow } from "@grove/protocol";
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
/** what arrives: the JSON of a beat, parsed */
const raw = (value: unknown) => JSON.parse(JSON.stringify(value));

describe("LastBeats", () => {
  it("gives back a beat equal to its cell's last but for when it was sent, stamped anew, with the same digests", () => {
    const last = new LastBeats();
    expect(last.repeat(CELL, raw(beat(1)))).toBeUndefined();
    last.remember(CELL, beat(1), digestReport(beat(1)));
    const repeated = last.repeat(CELL, raw(beat(2)));
    expect(repeated?.heartbeat).toEqual(beat(2));
    const fresh = digestReport(beat(2));
    expect(repeated?.report.digests).toEqual(fresh.digests);
    expect(JSON.parse(repeated?.report.json ?? "")).toEqual(JSON.parse(fresh.json));
    expect(JSON.parse(repeated?.report.json ?? "")).toMatchObject({ seq: 2, at: beat(2).at });
    // another cell's memory is its own
    expect(last.repeat("00000000-0000-4000-8000-0000000000c2", raw(beat(2)))).toBeUndefined();
  });

  it("gives nothing back for a beat that differs, or whose stamp is not valid: those are decoded in full", () => {
    const last = new LastBeats();
    last.remember(CELL, beat(1), digestReport(beat(1)));
    expect(last.repeat(CELL, raw(beat(2, "STARTING")))).toBeUndefined();
    expect(last.repeat(CELL, { ...raw(beat(2)), at: "yesterday" })).toBeUndefined();
    expect(last.repeat(CELL, { ...raw(beat(2)), seq: -1 })).toBeUndefined();
    expect(last.repeat(CELL, { ...raw(beat(2)), extra: true })).toBeUndefined();
    expect(last.repeat(CELL, [raw(beat(2))])).toBeUndefined();
    expect(last.repeat(CELL, null)).toBeUndefined();
  });
});
