import type { Readable } from "node:stream";
import { encode, LogLine, MAX_LOG_LINE_CHARS, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";
import type { CellIdentity } from "./identity";

export interface LogSource {
  appId: string;
  instanceId: string;
  index: number;
}

/**
 * Ships an instance's output to NATS one line at a time, with its stream and a timestamp. `skipBytes`
 * drops output already shipped before an agent restart (the process's output is re-read from its
 * first byte). Returns a function giving the bytes shipped so far.
 */
export function shipLines(
  nats: NatsConnection,
  identity: CellIdentity,
  source: LogSource,
  stream: "stdout" | "stderr",
  readable: Readable,
  skipBytes = 0,
): () => number {
  const subject = subjects.logs(source.appId, source.instanceId);
  let consumed = 0;
  let pending = "";
  const send = (line: string) => {
    for (let start = 0; start === 0 || start < line.length; start += MAX_LOG_LINE_CHARS) {
      nats.publish(
        subject,
        encode(LogLine, {
          v: 1,
          cellId: identity.cellId,
          credential: identity.credential,
          appId: source.appId,
          instanceId: source.instanceId,
          index: source.index,
          stream,
          line: line.slice(start, start + MAX_LOG_LINE_CHARS),
          at: new Date().toISOString(),
        }),
      );
    }
  };
  readable.on("data", (chunk: Buffer) => {
    let data = chunk;
    if (consumed < skipBytes) {
      const skip = Math.min(skipBytes - consumed, data.length);
      consumed += skip;
      data = data.subarray(skip);
    }
    consumed += data.length;
    pending += data.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) send(line);
  });
  readable.on("end", () => {
    if (pending) send(pending);
    pending = "";
  });
  readable.on("error", () => {});
  return () => consumed;
}
