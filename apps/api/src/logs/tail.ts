import { decode, LogLine, subjects } from "@grove/protocol";
import {
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { LOGS_STREAM } from "./stream";
import type { LogLineVerifier } from "./verify";
import { storedFrom, windowStart } from "./window-start";

/** One log line as the API streams it. */
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
 * that do not verify as published by the instance's own cell (`verifier`) are dropped.
 *
 * Only the lines it sends are read: the sequence where the last `lines` of the app begin is found
 * by counting (`windowStart`), and when some of them do not verify, the window before is read
 * for as many more. `onRead` hears of every message read from the stream.
 */
export async function tailAppLogs(options: {
  verifier: LogLineVerifier;
  nc: NatsConnection;
  appId: string;
  lines: number;
  follow: boolean;
  afterSeq?: number;
  emit: (entry: LogEntry) => Promise<void>;
  onRead?: () => void;
}): Promise<LogTail> {
  const filter = subjects.appLogs(options.appId);
  const jsm = await jetstreamManager(options.nc);
  const js = jetstream(options.nc);
  const { state } = await jsm.streams.info(LOGS_STREAM);
  const toEntry = async (msg: JsMsg): Promise<LogEntry | undefined> => {
    options.onRead?.();
    const decoded = decode(LogLine, msg.data, msg.subject);
    if (!decoded.ok || !(await options.verifier.accept(msg.subject, decoded.value))) return undefined;
    const { instanceId, index, stream, line, at } = decoded.value;
    return { seq: msg.seq, instance_id: instanceId, index, stream, line, at };
  };

  /** The verified lines stored in [from, to), expected to be `stored` messages. */
  const readRange = async (from: number, to: number, stored: number): Promise<LogEntry[]> => {
    if (stored === 0) return [];
    const consumer = await js.consumers.get(LOGS_STREAM, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    const messages = await consumer.fetch({ max_messages: Math.max(stored, 1), expires: 5_000 });
    const entries: LogEntry[] = [];
    for await (const msg of messages) {
      if (msg.seq >= to) break;
      const entry = await toEntry(msg);
      if (entry) entries.push(entry);
      if (msg.info.pending === 0) break;
    }
    await messages.close();
    await consumer.delete().catch(() => {});
    return entries;
  };

  const count = (seq: number) => storedFrom(jsm, LOGS_STREAM, filter, seq);

  /** The last `lines` verified lines stored before `end`, read window by window backwards. */
  const recentLines = async (end: number): Promise<LogEntry[]> => {
    let recent: LogEntry[] = [];
    let to = end;
    while (recent.length < options.lines && to > state.first_seq) {
      const wanted = options.lines - recent.length;
      const from = await windowStart(count, state.first_seq, to, wanted);
      const after = await count(to); // first: a line arriving in between then only widens the fetch
      const stored = (await count(from)) - after;
      if (stored === 0) break;
      recent = [...(await readRange(from, to, stored)), ...recent];
      to = from;
    }
    return recent.slice(-options.lines);
  };

  let stopped = false;
  let live: ConsumerMessages | undefined;
  const done = (async () => {
    // lines stored up to now are the tail (or what follows `afterSeq`); later ones are followed
    const end = state.last_seq + 1;
    const next = options.afterSeq === undefined ? end : options.afterSeq + 1;
    const tail =
      options.afterSeq === undefined ? await recentLines(end) : await readRange(next, end, await count(next));
    for (const entry of tail) await options.emit(entry);
    if (!options.follow || stopped) return;
    const consumer = await js.consumers.get(LOGS_STREAM, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(next, end),
    });
    live = await consumer.consume();
    if (stopped) await live.close();
    for await (const msg of live) {
      const entry = await toEntry(msg);
      if (entry) await options.emit(entry);
    }
  })().finally(() => live?.close());
  return {
    done,
    async stop() {
      stopped = true;
      await live?.close();
      await done.catch(() => {});
    },
  };
}
