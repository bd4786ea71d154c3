import type { Database } from "@grove/db";
import { authenticateCellMessage, cellOfSubject, decode, InstanceEvent } from "@grove/protocol";
import type { Consumer, ConsumerMessages } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { ApiMetrics } from "../metrics";
import { cellCredentialHash } from "../repo/cells";
import { applyInstanceEvent } from "../repo/instances";

/** What became of one instance event message. */
export type InstanceEventOutcome =
  | { applied: true }
  | {
      applied: false;
      reason:
        | "invalid"
        | "unknown-cell"
        | "subject-mismatch"
        | "bad-credential"
        | "unknown-instance"
        | "not-on-this-cell"
        | "duplicate"
        | "instance-stopped";
    };

/** Validates, authenticates (as the cell of the subject) and applies one instance event. */
export async function handleInstanceEvent(
  db: Database,
  msg: { data: Uint8Array; subject: string },
): Promise<InstanceEventOutcome> {
  const decoded = decode(InstanceEvent, msg.data, msg.subject);
  if (!decoded.ok) return { applied: false, reason: "invalid" };
  const event = decoded.value;
  const auth = authenticateCellMessage(
    event,
    await cellCredentialHash(db, event.cellId),
    cellOfSubject(msg.subject),
  );
  if (!auth.ok) return { applied: false, reason: auth.reason };
  return applyInstanceEvent(db, auth.cellId, event);
}

/**
 * Applies instance events from the durable consumer one at a time. A message is acknowledged only
 * after its event is applied (or rejected for good); a database failure leaves it for redelivery.
 */
export async function consumeInstanceEvents(deps: {
  db: Database;
  consumer: Consumer;
  log: Logger;
  metrics: ApiMetrics;
  onApplied?: () => void;
}): Promise<{ stop(): Promise<void> }> {
  const log = deps.log.child({ component: "api.instances.events" });
  const messages: ConsumerMessages = await deps.consumer.consume({ max_messages: 100 });
  const done = (async () => {
    for await (const msg of messages) {
      try {
        const outcome = await handleInstanceEvent(deps.db, msg);
        if (outcome.applied) deps.onApplied?.();
        else if (outcome.reason !== "duplicate" && outcome.reason !== "instance-stopped") {
          deps.metrics.cellMessagesRejected.inc({ subject_kind: "instance-event", reason: outcome.reason });
          log.warn({ subject: msg.subject, reason: outcome.reason }, "instance event rejected");
        }
        msg.ack();
      } catch (error) {
        log.error({ err: error, subject: msg.subject }, "instance event not applied; will be redelivered");
        msg.nak(1_000);
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
