import { describe, expect, it } from "vitest";
import { heartbeat, startCommand, stateSync } from "./fixtures.test-helpers";
import {
  CellCommand,
  CellHeartbeat,
  CellStateSync,
  CommandReply,
  decode,
  decodeOrThrow,
  encode,
  MAX_START_BATCH,
  type StartInstance,
} from "./index";

const start = startCommand.command as StartInstance;
const startOf = (n: number) => ({ ...start, instanceId: `i-${n}`, index: n });

describe("start-instances", () => {
  it("carries several starts, each decoded as a start-instance with its defaults", () => {
    const bytes = encode(CellCommand, {
      v: 1,
      command: { type: "start-instances", starts: [startOf(1), startOf(2), startOf(3)] },
    });
    const { command } = decodeOrThrow(CellCommand, bytes);
    if (command.type !== "start-instances") throw new Error("wrong type");
    expect(command.starts.map((s) => s.instanceId)).toEqual(["i-1", "i-2", "i-3"]);
    expect(command.starts[0]?.healthCheck).toMatchObject({ type: "http", startTimeoutMs: 60_000 });
    expect(command.starts[0]?.volumes).toEqual([]);
  });

  it("is refused empty or over MAX_START_BATCH starts", () => {
    const of = (n: number) =>
      JSON.stringify({
        v: 1,
        command: { type: "start-instances", starts: Array.from({ length: n }, (_, i) => startOf(i)) },
      });
    expect(decode(CellCommand, of(0)).ok).toBe(false);
    expect(decode(CellCommand, of(MAX_START_BATCH)).ok).toBe(true);
    expect(decode(CellCommand, of(MAX_START_BATCH + 1)).ok).toBe(false);
  });

  it("is refused whole when one start is invalid", () => {
    const bad = JSON.stringify({
      v: 1,
      command: { type: "start-instances", starts: [startOf(1), { ...startOf(2), memoryMb: 0 }] },
    });
    const result = decode(CellCommand, bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.issues[0]?.path).toBe("command.starts.1.memoryMb");
  });

  it("is answered with the starts refused and why", () => {
    const reply = {
      v: 1 as const,
      ok: true,
      refused: [{ instanceId: "i-2", error: "already runs revision 1" }],
    };
    expect(decodeOrThrow(CommandReply, encode(CommandReply, reply))).toEqual(reply);
    // an older agent's reply (no refused list) still decodes
    expect(decodeOrThrow(CommandReply, '{"v":1,"ok":true}').refused).toBeUndefined();
  });

  it("is advertised by heartbeats and state syncs, absent from older agents'", () => {
    const beat = decodeOrThrow(CellHeartbeat, encode(CellHeartbeat, { ...heartbeat, maxStartBatch: 100 }));
    expect(beat.maxStartBatch).toBe(100);
    expect(decodeOrThrow(CellHeartbeat, encode(CellHeartbeat, heartbeat)).maxStartBatch).toBeUndefined();
    const sync = decodeOrThrow(CellStateSync, encode(CellStateSync, { ...stateSync, maxStartBatch: 250 }));
    expect(sync.maxStartBatch).toBe(250);
    expect(
      decode(CellHeartbeat, JSON.stringify({ ...heartbeat, maxStartBatch: MAX_START_BATCH + 1 })).ok,
    ).toBe(false);
  });
});
