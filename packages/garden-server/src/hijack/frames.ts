import type { Signal, WindowSize } from "@grove/garden";
import { z } from "zod";
import { encodeGo, goStruct, int64, uint8 } from "../wire/go-json";
import { windowSizeFromWire, wireTTYSpec } from "../wire/process-spec";

/** transport.ProcessPayload as the client sends it on the hijacked connection. */
const wireProcessPayload = goStruct({
  process_id: z.string(),
  stream_id: z.string(),
  source: uint8,
  data: z.string(),
  exit_status: int64,
  error: z.string(),
  tty: wireTTYSpec,
  signal: int64,
});

/** One client → server frame, in the order the reference server tests for them. */
export type ClientFrame =
  | { kind: "resize"; windowSize: WindowSize | undefined }
  | { kind: "stdin"; data: string }
  | { kind: "stdin-eof" }
  | { kind: "signal"; signal: Signal }
  | { kind: "unknown"; reason: string };

const signals: Signal[] = ["terminate", "kill"];

export function parseClientFrame(line: string): ClientFrame {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return { kind: "unknown", reason: `bad JSON frame: ${(error as Error).message}` };
  }
  const parsed = wireProcessPayload.safeParse(json);
  if (!parsed.success) return { kind: "unknown", reason: `bad frame: ${parsed.error.issues[0]?.message}` };
  const frame = parsed.data;
  if (frame.tty) return { kind: "resize", windowSize: windowSizeFromWire(frame.tty.window_size) };
  if (frame.source !== undefined) {
    return frame.data === undefined ? { kind: "stdin-eof" } : { kind: "stdin", data: frame.data };
  }
  if (frame.signal !== undefined) {
    const signal = signals[frame.signal];
    return signal
      ? { kind: "signal", signal }
      : { kind: "unknown", reason: `unknown signal ${frame.signal}` };
  }
  return { kind: "unknown", reason: "frame carries no stdin, tty or signal" };
}

/**
 * Splits a byte stream into newline-delimited frames. Go's encoder escapes newlines inside
 * strings, so a raw "\n" always ends a value.
 */
export class FrameSplitter {
  private pending = "";
  private readonly decoder = new TextDecoder();

  push(chunk: Uint8Array): string[] {
    this.pending += this.decoder.decode(chunk, { stream: true });
    const lines = this.pending.split("\n");
    this.pending = lines.pop() ?? "";
    return lines.filter((line) => line.trim() !== "");
  }

  /** What is left when the peer closes: a last value without its newline. */
  end(): string[] {
    const rest = this.pending + this.decoder.decode();
    this.pending = "";
    return rest.trim() === "" ? [] : [rest];
  }
}

export function processStartedFrame(processId: string, streamId: string): string {
  return encodeGo({ process_id: processId, stream_id: streamId });
}

export function exitStatusFrame(processId: string, status: number): string {
  return encodeGo({ process_id: processId, exit_status: status });
}

export function errorFrame(processId: string, message: string): string {
  return encodeGo({ process_id: processId, error: message });
}
