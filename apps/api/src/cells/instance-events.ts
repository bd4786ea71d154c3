import type { Database } from "@grove/db";
import { cellSender, decode, INSTANCE_EVENTS_STREAM, InstanceEvent } from "@grove/protocol";
import type { Consumer, ConsumerMessages } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { ApiMetrics } from "../metrics";
import type { DeadLetters } from "../nats/dead-letters";
import { cellExists } from "../repo/cells";
import { applyInstanceEvent } from "../repo/instances";
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
 * Validates one instance event and applies it as coming from the cell of its subject. `knownCells`
 * remembers cells found to exist (a cell row is never deleted), so an event costs no lookup of its cell.
 */
export async function handleInstanceEvent(
  db: Database,
  msg: { data: Uint8Array; subject: string },
  knownCells: Set<string> = new Set(),
): Promise<InstanceEventOutcome> {
  const decoded = decode(InstanceEvent, msg.data, msg.subject);
  if (!decoded.ok)
    return { applied: false, reason: rejectionOf(decoded.error), detail: decoded.error.message };
  const event = decoded.value;
  const sender = cellSender(msg.subject, event);
  if (!sender.ok) return { applied: false, reason: sender.reason };
  if (!knownCells.has(sender.cellId)) {
    if (!(await cellExists(db, sender.cellId))) return { applied: false, reason: "unknown-cell" };
    knownCells.add(sender.cellId);
  }
  return applyInstanceEvent(db, sender.cellId, event);
}

/** Rejections that say the message itself is bad (not that it came late): kept as dead letters. */
const BURIED: ReadonlySet<string> = new Set([
  "invalid",
  "unsupported-version",
  "unknown-cell",
  "subject-mismatch",
]);

/**
 * Applies instance events from the durable consumer one at a time. A message is acknowledged only
 * after its event is applied or rejected for good; an invalid or forged one is dead-lettered at
 * once, and one whose processing keeps failing (say, an id the database refuses) is redelivered
 * with a growing delay until `deadLetters` buries it, so the consumer always moves on.
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
  const messages: ConsumerMessages = await deps.consumer.consume({ max_messages: 100 });
  const knownCells = new Set<string>();
  const done = (async () => {
    for await (const msg of messages) {
      try {
        const outcome = await handleInstanceEvent(deps.db, msg, knownCells);
        if (outcome.applied) deps.onApplied?.();
        else if (outcome.reason !== "duplicate" && outcome.reason !== "instance-stopped") {
          deps.metrics.cellMessagesRejected.inc({ subject_kind: "instance-event", reason: outcome.reason });
          log.warn(
            { subject: msg.subject, reason: outcome.reason, detail: outcome.detail },
            "instance event rejected",
          );
          if (BURIED.has(outcome.reason)) {
            await deps.deadLetters.bury(msg, INSTANCE_EVENTS_STREAM, outcome.reason);
            continue;
          }
        }
        msg.ack();
      } catch (error) {
        await deps.deadLetters.failed(msg, INSTANCE_EVENTS_STREAM, error);
      }
    }
  })();
  return {
    async stop() {
      await messages.close();
      await done;
    },
  };
}
