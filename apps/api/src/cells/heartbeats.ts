import type { Database } from "@grove/db";
import { CellHeartbeat, cellSender, decode, subjects } from "@grove/protocol";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { ApiMetrics } from "../metrics";
import { cellExists, recordHeartbeat } from "../repo/cells";
import { renewSubnetLease } from "../repo/subnet-leases";
import { API_QUEUE } from "./register-responder";
import { rejectionOf } from "./rejection";

/** The outcome of one heartbeat message. */
export type HeartbeatOutcome =
  | { accepted: true; cellId: string }
  | {
      accepted: false;
      reason: "invalid" | "unsupported-version" | "unknown-cell" | "subject-mismatch";
      detail?: string;
    };

/**
 * Validates one heartbeat and, if it comes from a known cell, records it and renews the cell's
 * subnet lease. The sender is the cell of the subject (only that cell's NATS user may publish
 * there); the body must name the same.
 */
export async function handleHeartbeat(
  db: Database,
  msg: Pick<Msg, "data" | "subject">,
  leaseTtlMs?: number,
): Promise<HeartbeatOutcome> {
  const decoded = decode(CellHeartbeat, msg.data, msg.subject);
  if (!decoded.ok)
    return { accepted: false, reason: rejectionOf(decoded.error), detail: decoded.error.message };
  const heartbeat = decoded.value;
  const sender = cellSender(msg.subject, heartbeat);
  if (!sender.ok) return { accepted: false, reason: sender.reason };
  if (!(await cellExists(db, sender.cellId))) return { accepted: false, reason: "unknown-cell" };
  await recordHeartbeat(db, sender.cellId, heartbeat);
  if (leaseTtlMs !== undefined) await renewSubnetLease(db, sender.cellId, leaseTtlMs);
  return { accepted: true, cellId: sender.cellId };
}

/**
 * Consumes every cell's heartbeats, each on its cell's subject. Rejections (an old `v` among them)
 * are counted in `grove_cell_messages_rejected_total`, logged with the reason, and never crash.
 */
export function consumeHeartbeats(deps: {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  metrics: ApiMetrics;
  /** each heartbeat extends the cell's subnet lease to this long from now */
  leaseTtlMs?: number;
}): Subscription {
  const log = deps.log.child({ component: "api.cells.heartbeats" });
  const sub = deps.nc.subscribe(subjects.allHeartbeats, { queue: API_QUEUE });
  (async () => {
    for await (const msg of sub) {
      try {
        const outcome = await handleHeartbeat(deps.db, msg, deps.leaseTtlMs);
        if (outcome.accepted) {
          deps.metrics.heartbeats.inc();
        } else {
          deps.metrics.cellMessagesRejected.inc({ subject_kind: "heartbeat", reason: outcome.reason });
          log.warn(
            { subject: msg.subject, reason: outcome.reason, detail: outcome.detail },
            "heartbeat rejected",
          );
        }
      } catch (error) {
        log.error({ err: error, subject: msg.subject }, "heartbeat not recorded");
      }
    }
  })().catch((error) => log.error({ err: error }, "heartbeat subscription ended"));
  return sub;
}
