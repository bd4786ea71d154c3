import type { Database } from "@grove/db";
import {
  cellSender,
  decodeEither,
  INSTANCE_EVENTS_STREAM,
  InstanceEvent,
  InstanceEvents,
} from "@grove/protocol";
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { ApiMetrics } from "../metrics";
import type { DeadLetters } from "../nats/dead-letters";
import { cellExists } from "../repo/cells";
import { applyInstanceEvents, type ReportedEvent } from "../repo/instances";
import { rejectionOf } from "./rejection";

/** What became of one instance event message. */
export type InstanceEventOutcome =
  | { applied: true }
  | {
      applied: false;
      reason:
        | "invalid"
        | "unsupported-version"
        | "unknown-cell"
        | "subject-mismatch"
        | "unknown-instance"
        | "not-on-this-cell"
        | "duplicate"
        | "instance-stopped";
      detail?: string;
    };

/**
 * Validates instance event messages — single events (v 2) and batches of one cell's events (v 3) —
 * and applies the events of those that pass as coming from the cells of their subjects, in one
 * transaction (`applyInstanceEvents`); returns each message's outcomes in order: one per event, or
 * one for the whole message when the message itself is refused. `knownCells` remembers cells found
 * to exist (a cell row is never deleted), so an event costs no lookup of its cell.
 */
export async function handleInstanceEvents(
  db: Database,
  msgs: readonly { data: Uint8Array; subject: string }[],
  knownCells: Set<string> = new Set(),
): Promise<InstanceEventOutcome[][]> {
  const outcomes: InstanceEventOutcome[][] = [];
  const valid: { at: number; reported: ReportedEvent[] }[] = [];
  for (const [i, msg] of msgs.entries()) {
    const decoded = decodeEither([InstanceEvent, InstanceEvents], msg.data, msg.subject);
    if (!decoded.ok) {
      outcomes.push([{ applied: false, reason: rejectionOf(decoded.error), detail: decoded.error.message }]);
      continue;
    }
    const sender = cellSender(msg.subject, decoded.value.message);
    if (!sender.ok) {
      outcomes.push([{ applied: false, reason: sender.reason }]);
      continue;
    }
    if (!knownCells.has(sender.cellId)) {
      if (!(await cellExists(db, sender.cellId))) {
        outcomes.push([{ applied: false, reason: "unknown-cell" }]);
        continue;
      }
      knownCells.add(sender.cellId);
    }
    const { cellId } = sender;
    const { value } = decoded;
    const reported =
      value.of === 1
        ? value.message.events.map((event) => ({ cellId, event, onceBy: value.message.batchId, message: i }))
        : [{ cellId, event: value.message, message: i }];
    valid.push({ at: outcomes.length, reported });
    outcomes.push([]);
  }
  const applied = await applyInstanceEvents(
    db,
    valid.flatMap((v) => v.reported),
  );
  let next = 0;
  for (const { at, reported } of valid) {
    outcomes[at] = applied.slice(next, next + reported.length);
    next += reported.length;
  }
  return outcomes;
}

/** Rejections that say the message itself is bad (not that it came late): kept as dead letters. */
const BURIED: ReadonlySet<string> = new Set([
  "invalid",
  "unsupported-version",
  "unknown-cell",
  "subject-mismatch",
]);

/** Instance event messages applied in one transaction at most. */
const EVENT_BATCH = 500;

/**
 * Bytes of instance event messages applied in one transaction at most (one message at least): a
 * batch message holds up to `MAX_EVENT_BATCH` events, so the messages of one transaction are cut by
 * their size too (~350 bytes an event: some 750 events).
 */
const EVENT_BATCH_BYTES = 256 * 1024;

/** Transactions of instance events applied at once, each for its own cells (`laneOf`). */
const EVENT_LANES = 2;

/** The lane of an instance events subject (one per cell): the same cell always in the same lane. */
function laneOf(subject: string): number {
  let hash = 0;
  for (let i = 0; i < subject.length; i++) hash = (hash * 31 + subject.charCodeAt(i)) | 0;
  return Math.abs(hash) % EVENT_LANES;
}

/** How long one pull for instance events waits (its heartbeats come every half of it). */
const EVENT_PULL_EXPIRES_MS = 5_000;

/**
 * Applies instance events from the durable consumer in batches: the messages that arrived while the
 * previous batch was applied go together in one transaction (up to `EVENT_BATCH` messages and
 * `EVENT_BATCH_BYTES`), so a quiet stream applies each event at once and a busy one in few writes;
 * `EVENT_LANES` such transactions run at once, each for its own cells (a cell's events stay in
 * order). A message is acknowledged only
 * after its events are applied or rejected for good; an invalid or forged one is dead-lettered at
 * once. When a batch fails, its messages are applied one by one, so one whose processing keeps
 * failing (say, an id the database refuses) is redelivered with a growing delay until
 * `deadLetters` buries it, the others are applied, and the consumer always moves on.
 */
export async function consumeInstanceEvents(deps: {
  db: Database;
  consumer: Consumer;
  log: Logger;
  metrics: ApiMetrics;
  deadLetters: DeadLetters;
  onApplied?: () => void;
}): Promise<{ stop(): Promise<void> }> {
  const log = deps.log.child({ component: "api.instances.events" });
  // pulls that expire every 5 s (heartbeats every 2.5 s): a pull lost while NATS restarts (a whole
  // cluster at once leaves none to answer it) is noticed after two missed heartbeats and made again,
  // 5 s instead of the default 30 s during which no event would be applied
  const messages: ConsumerMessages = await deps.consumer.consume({
    max_messages: EVENT_BATCH,
    expires: EVENT_PULL_EXPIRES_MS,
  });
  const knownCells = new Set<string>();
  const settle = async (msg: JsMsg, outcomes: InstanceEventOutcome[]) => {
    for (const outcome of outcomes) {
      if (outcome.applied || outcome.reason === "duplicate" || outcome.reason === "instance-stopped")
        continue;
      deps.metrics.cellMessagesRejected.inc({ subject_kind: "instance-event", reason: outcome.reason });
      log.warn(
        { subject: msg.subject, reason: outcome.reason, detail: outcome.detail },
        "instance event rejected",
      );
      // only a refusal of the whole message (its one outcome) says the message is bad
      if (BURIED.has(outcome.reason)) {
        await deps.deadLetters.bury(msg, INSTANCE_EVENTS_STREAM, outcome.reason);
        return;
      }
    }
    msg.ack();
  };
  const apply = async (batch: JsMsg[]) => {
    let outcomes: InstanceEventOutcome[][];
    const started = performance.now();
    try {
      outcomes = await handleInstanceEvents(deps.db, batch, knownCells);
      log.debug(
        {
          messages: batch.length,
          events: outcomes.reduce((n, o) => n + o.length, 0),
          ms: Math.round(performance.now() - started),
        },
        "instance events applied",
      );
    } catch (error) {
      if (batch.length === 1) {
        await deps.deadLetters.failed(batch[0] as JsMsg, INSTANCE_EVENTS_STREAM, error);
        return;
      }
      // one bad event fails its whole batch: each is applied alone, so only it is redelivered
      for (const msg of batch) await apply([msg]);
      return;
    }
    if (outcomes.some((o) => o.some((e) => e.applied))) deps.onApplied?.();
    for (const [i, msg] of batch.entries()) await settle(msg, outcomes[i] as InstanceEventOutcome[]);
  };
  // how many of the queued messages go in the next transaction
  const cut = (queued: JsMsg[]) => {
    let bytes = 0;
    let n = 0;
    while (n < queued.length && n < EVENT_BATCH) {
      bytes += (queued[n] as JsMsg).data.length;
      if (n > 0 && bytes > EVENT_BATCH_BYTES) break;
      n++;
    }
    return n;
  };
  // a cell's messages always go to the same lane, applied there in order; lanes apply at once, so
  // one lane's transaction waiting on Postgres leaves the api free to decode the other's messages
  const lanes = Array.from({ length: EVENT_LANES }, () => ({
    queue: [] as JsMsg[],
    draining: undefined as Promise<void> | undefined,
  }));
  const drain = async (lane: (typeof lanes)[number]) => {
    // the messages of one pull arrive together: they are all queued before the first batch is cut
    await new Promise((resolve) => setImmediate(resolve));
    while (lane.queue.length > 0) {
      try {
        await apply(lane.queue.splice(0, cut(lane.queue)));
      } catch (error) {
        // unsettled messages come back after the consumer's ack wait
        log.error({ err: error }, "instance events not settled; they will be redelivered");
      }
    }
    lane.draining = undefined;
  };
  const done = (async () => {
    for await (const msg of messages) {
      const lane = lanes[laneOf(msg.subject)] as (typeof lanes)[number];
      lane.queue.push(msg);
      lane.draining ??= drain(lane);
      // bounded: the consumer waits while a full batch is already queued in the lane
      if (lane.queue.length >= EVENT_BATCH) await lane.draining;
    }
    await Promise.all(lanes.map((lane) => lane.draining));
  })();
  return {
    async stop() {
      await messages.close();
      await done;
    },
  };
}
