import { decode, LogLine, subjects } from "@grove/protocol";
import {
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
  type MsgRequest,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { TenantLogStreams } from "./stream";
import type { LogLineVerifier } from "./verify";
import { lastItems, storedFrom } from "./window-start";

/** How long a pull for a window's messages waits when fewer are stored than it asked for. */
const WINDOW_PULL_MS = 1_000;

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
 * by counting (`lastItems`), and when some of them do not verify, the window before is read
 * for as many more. `onRead` hears of every message read from the stream.
 */
export async function tailAppLogs(options: {
  verifier: LogLineVerifier;
  nc: NatsConnection;
  /** the tenant's logs stream (made when missing) */
  streams: TenantLogStreams;
  tenantId: string;
  appId: string;
  lines: number;
  follow: boolean;
  afterSeq?: number;
  emit: (entry: LogEntry) => Promise<void>;
  onRead?: () => void;
}): Promise<LogTail> {
  const filter = subjects.appLogs(options.tenantId, options.appId);
  const logStream = await options.streams.ensure(options.tenantId);
  const jsm = await jetstreamManager(options.nc);
  const js = jetstream(options.nc);
  const { state } = await jsm.streams.info(logStream);
  const toEntry = async (msg: JsMsg): Promise<LogEntry | undefined> => {
    options.onRead?.();
    const decoded = decode(LogLine, msg.data, msg.subject);
    if (!decoded.ok || !(await options.verifier.accept(msg.subject, decoded.value))) return undefined;
    const { instanceId, index, stream, line, at } = decoded.value;
    return { seq: msg.seq, instance_id: instanceId, index, stream, line, at };
  };

  const end = state.last_seq + 1;
  /**
   * The verified lines stored in [from, to), about `counted` messages. It pulls until a message at
   * or past `to`, or the last one stored; as NATS 2.9 sometimes miscounts (`lastItems`), after each
   * pull it asks the stream for the window's next message, and a pull asking for more than is
   * stored ends after `WINDOW_PULL_MS`. A window counted empty at the end is not read.
   */
  const readRange = async (from: number, to: number, counted: number): Promise<LogEntry[]> => {
    if (counted === 0 && to >= end) return [];
    const consumer = await js.consumers.get(logStream, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    const entries: LogEntry[] = [];
    let next = from;
    let pulled = 0;
    try {
      for (;;) {
        const messages = await consumer.fetch({
          max_messages: Math.max(counted - pulled, 1),
          expires: WINDOW_PULL_MS,
        });
        let past = false;
        for await (const msg of messages) {
          if (msg.seq >= to) {
            past = true;
            break;
          }
          next = msg.seq + 1;
          pulled += 1;
          const entry = await toEntry(msg);
          if (entry) entries.push(entry);
          if (msg.info.pending === 0) break;
        }
        await messages.close();
        if (past) break;
        // the stream's "next message of filter from seq" (NATS 2.9 serves it; the client types lack it)
        const nextOf = { seq: next, next_by_subj: filter } as MsgRequest;
        const more = await jsm.streams.getMessage(logStream, nextOf);
        if (!more || more.seq >= to) break;
      }
    } finally {
      await consumer.delete().catch(() => {});
    }
    return entries;
  };

  const count = (seq: number) => storedFrom(jsm, logStream, filter, seq);

  let stopped = false;
  let live: ConsumerMessages | undefined;
  const done = (async () => {
    // lines stored up to now are the tail (or what follows `afterSeq`); later ones are followed
    const next = options.afterSeq === undefined ? end : options.afterSeq + 1;
    const tail =
      options.afterSeq === undefined
        ? await lastItems(count, readRange, state.first_seq, end, options.lines)
        : await readRange(next, end, await count(next));
    for (const entry of tail) await options.emit(entry);
    if (!options.follow || stopped) return;
    const consumer = await js.consumers.get(logStream, {
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
