import type { Database } from "@grove/db";
import { CellHeartbeat, cellOfSubject, cellSender, decode, subjects } from "@grove/protocol";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { ApiMetrics } from "../metrics";
import { recordHeartbeatIfChanged } from "../repo/cells";
import { LastBeats } from "./last-beats";
import { LatestPerCell } from "./latest-per-cell";
import { API_QUEUE } from "./register-responder";
import { rejectionOf } from "./rejection";
import { type DigestedReport, digestReport } from "./report-digest";

const utf8 = new TextDecoder();

/** The outcome of one heartbeat message. */
export type HeartbeatOutcome =
  | { accepted: true; cellId: string; written: boolean }
  | {
      accepted: false;
      reason: "invalid" | "unsupported-version" | "unknown-cell" | "subject-mismatch";
      detail?: string;
    };

/** How heartbeats are stored. */
export interface HeartbeatStorage {
  /** an unchanged heartbeat is stored again once the stored one is this old */
  refreshMs: number;
  /** each stored heartbeat extends the cell's subnet lease to this long from now */
  leaseTtlMs?: number;
}

/**
 * Validates one heartbeat and, if it comes from a known cell and says something new (or the stored
 * one is due for a refresh), stores it and renews the cell's subnet lease. The sender is the cell
 * of the subject (only that cell's NATS user may publish there); the body must name the same. With
 * `last`, a beat whose text equals its cell's last valid one's but for when it was sent is not
 * parsed, validated and digested again (`LastBeats`).
 */
export async function handleHeartbeat(
  db: Database,
  msg: Pick<Msg, "data" | "subject">,
  storage: HeartbeatStorage,
  last?: LastBeats,
): Promise<HeartbeatOutcome> {
  const text = utf8.decode(msg.data);
  const subjectCell = cellOfSubject(msg.subject);
  const repeated = subjectCell === undefined ? undefined : last?.repeat(subjectCell, text);
  // a repeat names the subject's cell, as the beat it repeats did
  let beat: { cellId: string; report: DigestedReport; decoded?: CellHeartbeat };
  if (subjectCell !== undefined && repeated) beat = { cellId: subjectCell, report: repeated };
  else {
    const decoded = decode(CellHeartbeat, text, msg.subject);
    if (!decoded.ok)
      return { accepted: false, reason: rejectionOf(decoded.error), detail: decoded.error.message };
    const sender = cellSender(msg.subject, decoded.value);
    if (!sender.ok) return { accepted: false, reason: sender.reason };
    beat = { cellId: sender.cellId, report: digestReport(decoded.value), decoded: decoded.value };
  }
  const write = await recordHeartbeatIfChanged(db, beat.cellId, beat.report, storage);
  if (write === "unknown-cell") return { accepted: false, reason: "unknown-cell" };
  if (beat.decoded) last?.remember(beat.cellId, text, beat.decoded, beat.report);
  return { accepted: true, cellId: beat.cellId, written: write === "written" };
}

/**
 * The interval an unchanged heartbeat is stored again: `refreshMs`, but often enough that the
 * subnet lease it renews never runs out while the cell beats.
 */
export function heartbeatRefreshMs(refreshMs: number, leaseTtlMs?: number): number {
  return leaseTtlMs === undefined ? refreshMs : Math.min(refreshMs, Math.floor(leaseTtlMs / 3));
}

/** Heartbeats stored at once (the pool holds 10 connections). */
const HEARTBEATS_AT_ONCE = 4;

/**
 * Consumes every cell's heartbeats, each on its cell's subject. Rejections (an old `v` among them)
 * are counted in `grove_cell_messages_rejected_total`, logged with the reason, and never crash.
 */
export function consumeHeartbeats(deps: {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  metrics: ApiMetrics;
  /** an unchanged heartbeat is stored again once the stored one is this old */
  refreshMs: number;
  /** each stored heartbeat extends the cell's subnet lease to this long from now */
  leaseTtlMs?: number;
}): Subscription {
  const storage: HeartbeatStorage = {
    refreshMs: heartbeatRefreshMs(deps.refreshMs, deps.leaseTtlMs),
    leaseTtlMs: deps.leaseTtlMs,
  };
  const log = deps.log.child({ component: "api.cells.heartbeats" });
  const sub = deps.nc.subscribe(subjects.allHeartbeats, { queue: API_QUEUE });
  const last = new LastBeats();
  const store = async (msg: Msg) => {
    try {
      const outcome = await handleHeartbeat(deps.db, msg, storage, last);
      if (outcome.accepted) {
        deps.metrics.heartbeats.inc({ stored: outcome.written ? "yes" : "no" });
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
  };
  // several cells' beats are stored at once, each cell's newest only (a newer one says all an older
  // did; liveness is the leader's own subscription, which hears every beat)
  const queue = new LatestPerCell(store, HEARTBEATS_AT_ONCE, () =>
    deps.metrics.heartbeats.inc({ stored: "no" }),
  );
  (async () => {
    for await (const msg of sub) queue.offer(msg.subject, msg);
  })().catch((error) => log.error({ err: error }, "heartbeat subscription ended"));
  return sub;
}
