import type { Database } from "@grove/db";
import { cellSender, decode, encode, PolicySliceReply, PolicySliceRequest, subjects } from "@grove/protocol";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { API_QUEUE } from "../cells/register-responder";
import { rejectionOf } from "../cells/rejection";
import type { ApiMetrics } from "../metrics";
import { type PolicyInputs, policyInputs } from "../repo/policies";
import { cellSlice } from "./cell-slice";
import type { ControlPlaneUrls } from "./egress-slices";
import { FreshLoad } from "./fresh-load";

type Reply = Parameters<typeof encode<typeof PolicySliceReply>>[1];

/**
 * Answers one cell's request for its policy slice. The cell is the subject's (NATS lets a cell ask
 * only on its own subject); a cell not in service is refused and keeps what it enforces.
 */
export async function answerSliceRequest(
  msg: Pick<Msg, "data" | "subject">,
  inputs: () => Promise<PolicyInputs>,
  controlPlane: ControlPlaneUrls,
): Promise<{ reply: Reply; rejected?: string }> {
  const decoded = decode(PolicySliceRequest, msg.data, msg.subject);
  if (!decoded.ok)
    return { reply: { v: 1, ok: false, error: decoded.error.message }, rejected: rejectionOf(decoded.error) };
  const sender = cellSender(msg.subject, decoded.value);
  if (!sender.ok)
    return { reply: { v: 1, ok: false, error: `not accepted: ${sender.reason}` }, rejected: sender.reason };
  const slice = cellSlice(await inputs(), sender.cellId, controlPlane);
  if (!slice)
    return {
      reply: { v: 1, ok: false, error: "not accepted: cell not in service" },
      rejected: "unknown-cell",
    };
  return { reply: { v: 1, ok: true, slice } };
}

/**
 * Serves every cell's policy slice requests (`grove.v1.cells.<cell>.policy`), on every api replica
 * (queue group). Requests arriving together share one read of Postgres (`FreshLoad`).
 */
export function servePolicySlices(deps: {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  metrics: ApiMetrics;
  controlPlane: ControlPlaneUrls;
}): Subscription {
  const log = deps.log.child({ component: "api.policies" });
  const inputs = new FreshLoad(() => policyInputs(deps.db));
  const sub = deps.nc.subscribe(subjects.allPolicySlices, { queue: API_QUEUE });
  const answer = async (msg: Msg) => {
    let reply: Reply;
    try {
      const outcome = await answerSliceRequest(msg, () => inputs.get(), deps.controlPlane);
      reply = outcome.reply;
      if (outcome.rejected) {
        deps.metrics.cellMessagesRejected.inc({ subject_kind: "policy", reason: outcome.rejected });
        log.warn({ subject: msg.subject, reason: outcome.rejected }, "policy slice request refused");
      }
    } catch (error) {
      log.error({ err: error, subject: msg.subject }, "policy slice not read");
      reply = { v: 1, ok: false, error: "internal error" };
    }
    msg.respond(encode(PolicySliceReply, reply));
  };
  (async () => {
    // answered concurrently: requests that come together share a load
    for await (const msg of sub) void answer(msg);
  })().catch((error) => log.error({ err: error }, "policy slice subscription ended"));
  return sub;
}
