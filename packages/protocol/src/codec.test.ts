import { afterEach, describe, expect, it } from "vitest";
import {
  crashed,
  heartbeat,
  logLine,
  registerRequest,
  startCommand,
  stateSync,
} from "./fixtures.test-helpers";
import {
  CellCommand,
  CellHeartbeat,
  CellStateSync,
  CommandReply,
  decode,
  decodeOrThrow,
  encode,
  InstanceEvent,
  InvalidMessage,
  LogLine,
  onRejectedMessage,
  RegisterCellReply,
  RegisterCellRequest,
  serialize,
} from "./index";

const offs: Array<() => void> = [];
afterEach(() => {
  for (const off of offs.splice(0)) off();
});

function rejectionsCounted(): InvalidMessage[] {
  const seen: InvalidMessage[] = [];
  offs.push(onRejectedMessage((e) => seen.push(e)));
  return seen;
}

describe("round trips", () => {
  it.each([
    ["register request", RegisterCellRequest, registerRequest],
    ["heartbeat", CellHeartbeat, heartbeat],
    ["state sync", CellStateSync, stateSync],
    ["instance event", InstanceEvent, crashed],
    ["log line", LogLine, logLine],
    ["command reply", CommandReply, { v: 1, ok: false, error: "no such stack" }],
    ["register reply", RegisterCellReply, { v: 2, ok: true, cellId: "cell-1", jwt: "e.y.j" }],
  ] as const)("a %s decodes to what was encoded", (_name, type, message) => {
    const result = decode(type, encode(type, message as never));
    expect(result).toEqual({ ok: true, value: message });
  });

  it("a start command decodes with the health check defaults filled in", () => {
    const value = decodeOrThrow(CellCommand, encode(CellCommand, startCommand));
    expect(value.command).toMatchObject({ type: "start-instance", instanceId: "i-1", revision: 2 });
    if (value.command.type !== "start-instance") throw new Error("wrong type");
    expect(value.command.healthCheck).toEqual({
      type: "http",
      path: "/health",
      timeoutMs: 1000,
      startIntervalMs: 2000,
      intervalMs: 10_000,
      startTimeoutMs: 60_000,
    });
  });

  it("a stop command defaults its grace period to 10 s", () => {
    const bytes = encode(CellCommand, { v: 1, command: { type: "stop-instance", instanceId: "i-1" } });
    expect(decodeOrThrow(CellCommand, bytes).command).toEqual({
      type: "stop-instance",
      instanceId: "i-1",
      graceMs: 10_000,
    });
  });

  it("serialize writes the same bytes as encode for a message with no defaults to fill", () => {
    expect(new TextDecoder().decode(serialize(CellHeartbeat, heartbeat))).toBe(
      new TextDecoder().decode(encode(CellHeartbeat, heartbeat)),
    );
    // a start command serialised as built decodes as an encoded one does (defaults filled by the reader)
    expect(decodeOrThrow(CellCommand, serialize(CellCommand, startCommand))).toEqual(
      decodeOrThrow(CellCommand, encode(CellCommand, startCommand)),
    );
  });

  it("serialize does not validate: the receiver rejects what it should", () => {
    const bytes = serialize(CellHeartbeat, { ...heartbeat, cellId: "" });
    const result = decode(CellHeartbeat, bytes);
    expect(result.ok).toBe(false);
  });

  it("decode accepts a string as well as bytes", () => {
    expect(decode(CommandReply, '{"v":1,"ok":true}')).toEqual({ ok: true, value: { v: 1, ok: true } });
  });
});

describe("rejections", () => {
  it("bytes that are not JSON are rejected as malformed-json and counted", () => {
    const seen = rejectionsCounted();
    const result = decode(CellHeartbeat, new TextEncoder().encode("{not json"), "grove.v1.cells.c.heartbeat");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(InvalidMessage);
    expect(result.error.kind).toBe("malformed-json");
    expect(result.error.messageType).toBe("cells.heartbeat");
    expect(result.error.subject).toBe("grove.v1.cells.c.heartbeat");
    expect(seen).toHaveLength(1);
  });

  it.each([
    ["a future version", { ...heartbeat, v: 3 }],
    ["the version before the credential left it", { ...heartbeat, v: 1, credential: "c".repeat(43) }],
    ["no version", { ...heartbeat, v: undefined }],
    ["a non-object", [1, 2]],
    ["null", null],
  ])("a message with %s is rejected as unsupported-version", (_name, message) => {
    const result = decode(CellHeartbeat, JSON.stringify(message));
    expect(result.ok ? "accepted" : result.error.kind).toBe("unsupported-version");
  });

  it("an old message is refused by its version, with the version expected", () => {
    const old = { ...logLine, v: 1, credential: "c".repeat(43) };
    const result = decode(LogLine, JSON.stringify(old), "grove.v1.cells.c.logs.a.i");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe("unsupported-version");
    expect(result.error.message).toBe(
      "invalid logs.line message (unsupported-version) on grove.v1.cells.c.logs.a.i: v: expected v 2, got 1",
    );
  });

  it.each([
    ["heartbeat", CellHeartbeat, heartbeat],
    ["state sync", CellStateSync, stateSync],
    ["instance event", InstanceEvent, crashed],
    ["log line", LogLine, logLine],
  ] as const)(
    "a %s carries no credential: not even an extra one survives decoding",
    (_name, type, message) => {
      expect(type.version).toBe(2);
      const result = decode(type, JSON.stringify({ ...message, credential: "c".repeat(43) }));
      expect(result.ok && "credential" in result.value).toBe(false);
      expect(result.ok).toBe(true);
    },
  );

  it("a heartbeat missing its cell id names the field", () => {
    const { cellId: _omitted, ...rest } = heartbeat;
    const result = decode(CellHeartbeat, JSON.stringify(rest));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe("invalid-fields");
    expect(result.error.issues.map((i) => i.path)).toContain("cellId");
    expect(result.error.message).toMatch(/^invalid cells.heartbeat message \(invalid-fields\): cellId/);
  });

  it.each([
    ["a cell id with a dot", { ...heartbeat, cellId: "a.b" }, "cellId"],
    [
      "negative free memory",
      { ...heartbeat, available: { ...heartbeat.available, memoryMb: -1 } },
      "available.memoryMb",
    ],
    ["a fractional seq", { ...heartbeat, seq: 1.5 }, "seq"],
    ["a non-ISO timestamp", { ...heartbeat, at: "yesterday" }, "at"],
    [
      "an unknown instance state",
      { ...heartbeat, instances: [{ ...heartbeat.instances[0], state: "ZOMBIE" }] },
      "instances.0.state",
    ],
  ])("a heartbeat with %s is rejected at the field", (_name, message, path) => {
    const result = decode(CellHeartbeat, JSON.stringify(message));
    expect(result.ok ? [] : result.error.issues.map((i) => i.path)).toContain(path);
  });

  it.each([
    ["an http health check without a path", { type: "http" }],
    ["an unknown health check type", { type: "exec" }],
  ])("a start command with %s is rejected", (_name, healthCheck) => {
    const message = { ...startCommand, command: { ...startCommand.command, healthCheck } };
    expect(decode(CellCommand, JSON.stringify(message)).ok).toBe(false);
  });

  it("a start command with a bad bits digest or env name is rejected", () => {
    const badDigest = { ...startCommand, command: { ...startCommand.command, bitsDigest: "md5:abc" } };
    const badEnv = { ...startCommand, command: { ...startCommand.command, env: { "A-B": "x" } } };
    expect(decode(CellCommand, JSON.stringify(badDigest)).ok).toBe(false);
    expect(decode(CellCommand, JSON.stringify(badEnv)).ok).toBe(false);
  });

  it("a crash event needs a reason; an unknown event state is rejected", () => {
    const { reason: _r, ...noReason } = crashed as { reason: string };
    expect(decode(InstanceEvent, JSON.stringify(noReason)).ok).toBe(false);
    expect(decode(InstanceEvent, JSON.stringify({ ...crashed, state: "EXPLODED" })).ok).toBe(false);
  });

  it("a log line from an unknown stream or over the size limit is rejected", () => {
    expect(decode(LogLine, JSON.stringify({ ...logLine, stream: "stdin" })).ok).toBe(false);
    expect(decode(LogLine, JSON.stringify({ ...logLine, line: "x".repeat(20_000) })).ok).toBe(false);
  });

  it("a refused register reply carries a code", () => {
    const reply = { v: 2, ok: false, code: "expired-join-token", error: "join token expired" };
    expect(decode(RegisterCellReply, JSON.stringify(reply))).toEqual({ ok: true, value: reply });
    expect(decode(RegisterCellReply, JSON.stringify({ v: 2, ok: false })).ok).toBe(false);
  });

  it("decode never throws, even when a rejection listener throws", () => {
    offs.push(
      onRejectedMessage(() => {
        throw new Error("metrics broke");
      }),
    );
    const inputs = ["", "null", "1e999", '"str"', "{}", '{"v":1}', "\u0000", '{"__proto__":{"v":1}}'];
    for (const input of inputs) {
      expect(() => decode(CellHeartbeat, input)).not.toThrow();
      expect(decode(CellHeartbeat, input).ok).toBe(false);
    }
    expect(() => decode(CellHeartbeat, new Uint8Array([0xff, 0xfe, 0x00]))).not.toThrow();
  });

  it("a removed rejection listener is no longer called", () => {
    const seen: InvalidMessage[] = [];
    const off = onRejectedMessage((e) => seen.push(e));
    decode(CommandReply, "{}");
    off();
    decode(CommandReply, "{}");
    expect(seen).toHaveLength(1);
  });

  it("decodeOrThrow throws an InvalidMessage", () => {
    expect(() => decodeOrThrow(CommandReply, "{}")).toThrow(InvalidMessage);
  });

  it("encode refuses to send an invalid message, throwing InvalidMessage", () => {
    expect(() => encode(CellHeartbeat, { ...heartbeat, cellId: "" })).toThrow(InvalidMessage);
  });
});
