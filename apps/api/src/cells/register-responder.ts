import type { Database } from "@grove/db";
import { type AuthoritySecrets, cellPermissions, userJwt } from "@grove/nats-auth";
import {
  decode,
  encode,
  generateCellCredential,
  hashCellCredential,
  RegisterCellReply,
  RegisterCellRequest,
  subjects,
} from "@grove/protocol";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { ApiMetrics } from "../metrics";
import { insertCell } from "../repo/cells";
import { consumeJoinToken, type JoinRefusal } from "../repo/join-tokens";

/** NATS queue group of the api's subscriptions: one replica handles each message. */
export const API_QUEUE = "grove-api";

type Reply = Parameters<typeof encode<typeof RegisterCellReply>>[1];

/**
 * Decides a register request: a cell row, credential and a NATS user JWT (for the agent's public
 * key, allowed only the cell's own subjects) for a valid join token, a refusal otherwise.
 */
export async function registerCell(
  db: Database,
  authority: AuthoritySecrets,
  msg: Pick<Msg, "data" | "subject">,
): Promise<Reply> {
  const request = decode(RegisterCellRequest, msg.data, msg.subject);
  if (!request.ok) return { v: 1, ok: false, code: "invalid-request", error: request.error.message };
  const { value } = request;
  const credential = generateCellCredential();
  return db.transaction(async (tx): Promise<Reply> => {
    const token = await consumeJoinToken(tx, value.joinToken);
    if (!token.ok) return joinRefused(token);
    const cell = await insertCell(tx, {
      name: value.hostname,
      zone: value.zone,
      address: value.address,
      memoryMb: value.capacity.memoryMb,
      diskMb: value.capacity.diskMb,
      maxContainers: value.capacity.containers,
      tags: value.tags,
      stacks: value.stacks,
      credentialHash: hashCellCredential(credential),
      natsPublicKey: value.publicKey,
    });
    const jwt = await userJwt(authority, `cell-${cell.id}`, value.publicKey, cellPermissions(cell.id));
    return { v: 1, ok: true, cellId: cell.id, credential, jwt };
  });
}

function joinRefused(refusal: { reason: JoinRefusal; expiresAt?: Date }): Reply {
  if (refusal.reason === "expired") {
    const at = refusal.expiresAt?.toISOString();
    return { v: 1, ok: false, code: "expired-join-token", error: `join token expired at ${at}` };
  }
  const error = {
    unknown: "unknown join token",
    revoked: "join token revoked",
    "used-up": "join token used up",
  }[refusal.reason];
  return { v: 1, ok: false, code: "invalid-join-token", error };
}

/**
 * Answers `grove.v1.cells.register`: validates the join token, creates the cell and returns its id
 * and credential (stored only hashed). A bad request or token gets a refusal and writes nothing.
 */
export function serveRegistrations(deps: {
  db: Database;
  nc: NatsConnection;
  authority: AuthoritySecrets;
  log: Logger;
  metrics: ApiMetrics;
}): Subscription {
  const log = deps.log.child({ component: "api.cells.register" });
  const sub = deps.nc.subscribe(subjects.register, { queue: API_QUEUE });
  (async () => {
    for await (const msg of sub) {
      let reply: Reply;
      try {
        reply = await registerCell(deps.db, deps.authority, msg);
      } catch (error) {
        log.error({ err: error }, "register failed");
        reply = { v: 1, ok: false, code: "internal", error: "internal error" };
      }
      deps.metrics.registrations.inc({ outcome: reply.ok ? "joined" : reply.code });
      if (reply.ok) log.info({ cellId: reply.cellId }, "cell joined");
      else log.warn({ code: reply.code }, "cell join refused");
      msg.respond(encode(RegisterCellReply, reply));
    }
  })().catch((error) => log.error({ err: error }, "register subscription ended"));
  return sub;
}
