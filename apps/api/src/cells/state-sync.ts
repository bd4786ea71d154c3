import type { Database } from "@grove/db";
import {
  CellStateSync,
  CellStateSyncReply,
  cellSender,
  decode,
  encode,
  MAX_EVENT_BATCH,
  subjects,
} from "@grove/protocol";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { CellNetworkSettings } from "../config";
import type { ApiMetrics } from "../metrics";
import { cellExists, recordHeartbeat } from "../repo/cells";
import { reconcileCellInstances } from "../repo/state-sync";
import { claimCellSubnet, NoSubnet } from "../repo/subnet-leases";
import { API_QUEUE } from "./register-responder";
import { rejectionOf } from "./rejection";

type Reply = Parameters<typeof encode<typeof CellStateSyncReply>>[1];

/**
 * Applies a full state sync from a cell: instances it reports update their rows (nothing is
 * restarted); instances the control plane placed there that it no longer has are marked crashed
 * (convergence replaces them); instances it has that are not wanted are stopped by convergence.
 */
export async function handleStateSync(
  db: Database,
  msg: Pick<Msg, "data" | "subject">,
  network?: CellNetworkSettings,
): Promise<{ reply: Reply; rejected?: string; cellId?: string }> {
  const decoded = decode(CellStateSync, msg.data, msg.subject);
  if (!decoded.ok) {
    return { reply: { v: 1, ok: false, error: decoded.error.message }, rejected: rejectionOf(decoded.error) };
  }
  const sync = decoded.value;
  const sender = cellSender(msg.subject, sync);
  const rejected = !sender.ok
    ? sender.reason
    : !(await cellExists(db, sync.cellId))
      ? "unknown-cell"
      : undefined;
  if (rejected) return { reply: { v: 1, ok: false, error: `not accepted: ${rejected}` }, rejected };
  await reconcileCellInstances(db, sync.cellId, sync.instances);
  await recordHeartbeat(db, sync.cellId, {
    at: sync.at,
    capacity: sync.capacity,
    available: sync.available,
    instances: sync.instances.map(({ instanceId, appId, revision, index, state }) => ({
      instanceId,
      appId,
      revision,
      index,
      state,
    })),
    volumes: sync.volumes,
    ...(sync.sealKey ? { sealKey: sync.sealKey } : {}),
    ...(sync.maxStartBatch ? { maxStartBatch: sync.maxStartBatch } : {}),
  });
  // the subnet the cell's network runs on keeps its lease (taken back if it had expired)
  if (sync.subnet && network) {
    try {
      await claimCellSubnet(db, sync.cellId, sync.subnet, network);
    } catch (error) {
      if (!(error instanceof NoSubnet)) throw error;
      return {
        reply: { v: 1, ok: false, error: `instances synced, but no lease: ${error.message}` },
        cellId: sync.cellId,
      };
    }
  }
  // this api applies batches of instance events (`InstanceEvents`): the agent may send them now
  return { reply: { v: 1, ok: true, maxEventBatch: MAX_EVENT_BATCH }, cellId: sync.cellId };
}

/** Answers every cell's state sync requests (`grove.v1.cells.<cell>.sync`). */
export function serveStateSyncs(deps: {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  metrics: ApiMetrics;
  network?: CellNetworkSettings;
  /** called with the cell whose sync was applied */
  onSynced?: (cellId: string) => void;
}): Subscription {
  const log = deps.log.child({ component: "api.cells.sync" });
  const sub = deps.nc.subscribe(subjects.allStateSyncs, { queue: API_QUEUE });
  (async () => {
    for await (const msg of sub) {
      let reply: Reply;
      try {
        const outcome = await handleStateSync(deps.db, msg, deps.network);
        reply = outcome.reply;
        if (outcome.rejected) {
          deps.metrics.cellMessagesRejected.inc({ subject_kind: "sync", reason: outcome.rejected });
          log.warn(
            { subject: msg.subject, reason: outcome.rejected, detail: outcome.reply.error },
            "state sync rejected",
          );
        } else if (outcome.cellId) deps.onSynced?.(outcome.cellId);
      } catch (error) {
        log.error({ err: error, subject: msg.subject }, "state sync failed");
        reply = { v: 1, ok: false, error: "internal error" };
      }
      msg.respond(encode(CellStateSyncReply, reply));
    }
  })().catch((error) => log.error({ err: error }, "state sync subscription ended"));
  return sub;
}
