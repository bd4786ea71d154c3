import type { Readable } from "node:stream";
import { encode, LogLine, MAX_LOG_LINE_CHARS, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";
import { LineSplitter } from "./line-splitter";

export interface LogSource {
  tenantId: string;
  appId: string;
  instanceId: string;
  index: number;
}

/**
 * The cell publishing log lines. `legacySubjects`: its NATS user was made before log subjects
 * carried the tenant (it may not publish those), so it publishes the older form, which the api
 * moves to the tenant's subject.
 */
export interface LogPublisher {
  cellId: string;
  legacySubjects?: boolean;
}

/** Whether a cell's NATS user (its JWT) may publish log lines on the subjects that carry the tenant. */
export function mayPublishTenantLogs(natsJwt: string, cellId: string): boolean {
  try {
    const claims = JSON.parse(Buffer.from(natsJwt.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      nats?: { pub?: { allow?: string[] } };
    };
    return claims.nats?.pub?.allow?.includes(subjects.cellLogs(cellId)) === true;
  } catch {
    return false;
  }
}

/** Decides per line whether it goes out (an instance's log-rate limit). */
export interface LogGate {
  admit(): boolean;
}

/**
 * Bytes of log messages a shipper publishes before it waits for the NATS server to have taken
 * them (a flush), so a chatty instance never piles its output up in the agent's memory.
 */
export const SHIP_FLUSH_BYTES = 256 * 1024;

/**
 * Ships an instance's output to NATS one line at a time, with its stream and a timestamp; lines are
 * whole UTF-8 text and longer ones are cut between characters (`LineSplitter`). `skipBytes` drops
 * output already shipped before an agent restart (the process's output is re-read from its first
 * byte). Returns a function giving the bytes read so far.
 *
 * Back-pressure, not drops: the shipper reads the next chunk only after NATS took what it
 * published (every `SHIP_FLUSH_BYTES`), so its memory is bounded. The process itself is never held
 * back by its logs: grove-monitor writes its output to files, and a shipper that falls further
 * behind than the output cap loses what the monitor rotated away (as Loggregator drops rather than
 * blocking apps). With a `gate`, lines it refuses are dropped (the instance's log-rate limit).
 */
export function shipLines(
  nats: NatsConnection,
  identity: LogPublisher,
  source: LogSource,
  stream: "stdout" | "stderr",
  readable: Readable,
  skipBytes = 0,
  gate?: LogGate,
): () => number {
  const splitter = new LineSplitter(MAX_LOG_LINE_CHARS);
  let consumed = 0;
  let unflushed = 0;
  const send = (line: string) => {
    if (gate && !gate.admit()) return;
    unflushed += publishLogLine(nats, identity, source, stream, line);
  };
  void (async () => {
    for await (const chunk of readable as AsyncIterable<Buffer>) {
      let data = chunk;
      if (consumed < skipBytes) {
        const skip = Math.min(skipBytes - consumed, data.length);
        consumed += skip;
        data = data.subarray(skip);
      }
      consumed += data.length;
      for (const line of splitter.push(data)) send(line);
      if (unflushed >= SHIP_FLUSH_BYTES) {
        unflushed = 0;
        await nats.flush();
      }
    }
    for (const line of splitter.end()) send(line);
  })().catch(() => {
    // the output was closed under it (instance stopped) or the connection closed: nothing to ship
  });
  return () => consumed;
}

/** Publishes one line of an instance's output; returns the bytes published. */
export function publishLogLine(
  nats: NatsConnection,
  identity: LogPublisher,
  source: LogSource,
  stream: "stdout" | "stderr",
  line: string,
): number {
  const body = encode(LogLine, {
    v: 2,
    cellId: identity.cellId,
    appId: source.appId,
    instanceId: source.instanceId,
    index: source.index,
    stream,
    line,
    at: new Date().toISOString(),
  });
  nats.publish(
    identity.legacySubjects
      ? subjects.legacyLogs(identity.cellId, source.appId, source.instanceId)
      : subjects.logs(identity.cellId, source.tenantId, source.appId, source.instanceId),
    body,
  );
  return body.length;
}
