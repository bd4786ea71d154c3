import type { Database } from "@grove/db";
import { authenticateCellMessage, CellHeartbeat, cellOfSubject, decode, subjects } from "@grove/protocol";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { ApiMetrics } from "../metrics";
import { cellCredentialHash, recordHeartbeat } from "../repo/cells";
import { renewSubnetLease } from "../repo/subnet-leases";
import { API_QUEUE } from "./register-responder";

/** The outcome of one heartbeat message. */
export type HeartbeatOutcome =
  | { accepted: true; cellId: string }
  | { accepted: false; reason: "invalid" | "unknown-cell" | "subject-mismatch" | "bad-credential" };

/** Validates and authenticates one heartbeat and, if it is genuine, records it and renews the cell's subnet lease. */
export async function handleHeartbeat(
  db: Database,
  msg: Pick<Msg, "data" | "subject">,
  leaseTtlMs?: number,
): Promise<HeartbeatOutcome> {
  const decoded = decode(CellHeartbeat, msg.data, msg.subject);
  if (!decoded.ok) return { accepted: false, reason: "invalid" };
  const heartbeat = decoded.value;
  const auth = authenticateCellMessage(
    heartbeat,
    await cellCredentialHash(db, heartbeat.cellId),
    cellOfSubject(msg.subject),
  );
  if (!auth.ok) return { accepted: false, reason: auth.reason };
  const { credential: _secret, ...report } = heartbeat;
  await recordHeartbeat(db, auth.cellId, report);
  if (leaseTtlMs !== undefined) await renewSubnetLease(db, auth.cellId, leaseTtlMs);
  return { accepted: true, cellId: auth.cellId };
}

/**
 * Consumes every cell's heartbeats: each must carry the credential of the cell it names, on that
 * cell's subject. Rejections are counted in `grove_cell_messages_rejected_total` and never crash.
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
          log.warn({ subject: msg.subject, reason: outcome.reason }, "heartbeat rejected");
        }
      } catch (error) {
        log.error({ err: error, subject: msg.subject }, "heartbeat not recorded");
      }
    }
  })().catch((error) => log.error({ err: error }, "heartbeat subscription ended"));
  return sub;
}
