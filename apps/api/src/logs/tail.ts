import type { Database } from "@grove/db";
import { decode, LogLine, subjects } from "@grove/protocol";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { LOGS_STREAM } from "./stream";
import { LogLineVerifier } from "./verify";

/** One log line as the API streams it (no cell credential). */
export interface LogEntry {
  seq: number;
  instance_id: string;
  index: number;
  stream: "stdout" | "stderr";
  line: string;
  at: string;
}

/** A running tail; `stop()` ends it. */
export interface LogTail {
  stop(): Promise<void>;
  done: Promise<void>;
}

/**
 * Sends an app's last `lines` log lines to `emit` (or the lines after sequence `afterSeq`, for a
 * client resuming with Last-Event-ID), then, with `follow`, every new line until stopped. Lines
 * that do not verify as coming from the instance's own cell are dropped.
 */
export async function tailAppLogs(options: {
  db: Database;
  nc: NatsConnection;
  appId: string;
  lines: number;
  follow: boolean;
  afterSeq?: number;
  emit: (entry: LogEntry) => Promise<void>;
}): Promise<LogTail> {
  const filter = subjects.appLogs(options.appId);
  const jsm = await jetstreamManager(options.nc);
  const info = await jsm.streams.info(LOGS_STREAM, { subjects_filter: filter });
  const stored = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  const verifier = new LogLineVerifier(options.db, options.appId);
  const consumer = await jetstream(options.nc).consumers.get(LOGS_STREAM, {
    filter_subjects: filter,
    ...(options.afterSeq !== undefined
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.afterSeq + 1 }
      : { deliver_policy: DeliverPolicy.All }),
  });
  const messages = await consumer.consume();
  let recent: LogEntry[] = [];
  let caughtUp = stored === 0;
  const flush = async () => {
    const batch = options.afterSeq === undefined ? recent.slice(-options.lines) : recent;
    recent = [];
    for (const entry of batch) await options.emit(entry);
  };
  const done = (async () => {
    if (caughtUp) {
      await flush();
      if (!options.follow) return;
    }
    for await (const msg of messages) {
      const decoded = decode(LogLine, msg.data, msg.subject);
      if (decoded.ok && (await verifier.accept(decoded.value))) {
        const { instanceId, index, stream, line, at } = decoded.value;
        const entry = { seq: msg.seq, instance_id: instanceId, index, stream, line, at };
        if (caughtUp) await options.emit(entry);
        else recent.push(entry);
      }
      if (!caughtUp && msg.info.pending === 0) {
        caughtUp = true;
        await flush();
        if (!options.follow) break;
      }
    }
  })().finally(() => messages.close());
  return {
    done,
    async stop() {
      await messages.close();
      await done.catch(() => {});
    },
  };
}
