import type { Database, Transaction } from "@grove/db";
import { type AuthoritySecrets, cellPermissions, userJwt } from "@grove/nats-auth";
import { decode, encode, RegisterCellReply, RegisterCellRequest, subjects } from "@grove/protocol";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { CellNetworkSettings } from "../config";
import type { ApiMetrics } from "../metrics";
import { formatRange } from "../network/subnet-lease";
import { insertCell, unreportedCellOf } from "../repo/cells";
import { consumeJoinToken, type JoinRefusal, lockJoinToken } from "../repo/join-tokens";
import { leaseSubnet, NoSubnet } from "../repo/subnet-leases";

/** NATS queue group of the api's subscriptions: one replica handles each message. */
export const API_QUEUE = "grove-api";

/** Registrations one api answers at once. */
const REGISTRATIONS_AT_ONCE = 4;

type Reply = Parameters<typeof encode<typeof RegisterCellReply>>[1];

/**
 * Decides a register request: a cell row, a NATS user JWT (for the agent's public key, allowed
 * only the cell's own subjects) and a leased container subnet for a valid join token, a refusal
 * otherwise (a full cluster range too: then nothing is written, the token keeps its use). The JWT
 * and the seed only the agent holds are the cell's whole credential: nothing secret is stored or
 * sent.
 *
 * Idempotent per agent key: a retry with the same token and public key while the token is
 * unrevoked and unexpired, before the cell has reported (its first reply was lost), gets the same
 * cell (and subnet) with a fresh JWT and spends no further use. A different key
 * needs a use of its own.
 */
export async function registerCell(
  db: Database,
  authority: AuthoritySecrets,
  msg: Pick<Msg, "data" | "subject">,
  network: CellNetworkSettings,
): Promise<Reply> {
  const request = decode(RegisterCellRequest, msg.data, msg.subject);
  if (!request.ok) return { v: 2, ok: false, code: "invalid-request", error: request.error.message };
  const { value } = request;
  // a full range throws NoSubnet, which rolls the cell and the token's use back
  const lease = async (tx: Transaction, cellId: string) => ({
    cellId,
    subnet: await leaseSubnet(tx, cellId, network),
  });
  let outcome: { cellId: string; subnet: string } | Reply;
  try {
    outcome = await db.transaction(async (tx) => {
      const held = await lockJoinToken(tx, value.joinToken);
      const retried = held?.usable ? await unreportedCellOf(tx, held.id, value.publicKey) : undefined;
      if (retried) return lease(tx, retried.id);
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
        natsPublicKey: value.publicKey,
        joinTokenId: token.id,
      });
      return lease(tx, cell.id);
    });
  } catch (error) {
    if (error instanceof NoSubnet) return { v: 2, ok: false, code: "no-free-subnet", error: error.message };
    throw error;
  }
  if ("v" in outcome) return outcome;
  // signed after the commit: the token's lock is not held while the JWT is made
  const { cellId, subnet } = outcome;
  const jwt = await userJwt(authority, `cell-${cellId}`, value.publicKey, cellPermissions(cellId));
  return {
    v: 2,
    ok: true,
    cellId,
    jwt,
    network: { subnet, range: formatRange(network.range), mode: network.mode },
  };
}

function joinRefused(refusal: { reason: JoinRefusal; expiresAt?: Date }): Reply {
  if (refusal.reason === "expired") {
    const at = refusal.expiresAt?.toISOString();
    return { v: 2, ok: false, code: "expired-join-token", error: `join token expired at ${at}` };
  }
  const error = {
    unknown: "unknown join token",
    revoked: "join token revoked",
    "used-up": "join token used up",
  }[refusal.reason];
  return { v: 2, ok: false, code: "invalid-join-token", error };
}

/**
 * Answers `grove.v1.cells.register`: validates the join token, creates the cell and returns its id
 * and NATS user JWT. A bad request or token gets a refusal and writes nothing.
 */
export function serveRegistrations(deps: {
  db: Database;
  nc: NatsConnection;
  authority: AuthoritySecrets;
  network: CellNetworkSettings;
  log: Logger;
  metrics: ApiMetrics;
  /** a cell joined (the leader tells every cell of its new peer) */
  onJoined?: () => void;
}): Subscription {
  const log = deps.log.child({ component: "api.cells.register" });
  const sub = deps.nc.subscribe(subjects.register, { queue: API_QUEUE });
  const answer = async (msg: Msg) => {
    let reply: Reply;
    try {
      reply = await registerCell(deps.db, deps.authority, msg, deps.network);
    } catch (error) {
      log.error({ err: error }, "register failed");
      reply = { v: 2, ok: false, code: "internal", error: "internal error" };
    }
    deps.metrics.registrations.inc({ outcome: reply.ok ? "joined" : reply.code });
    if (reply.ok) {
      log.info({ cellId: reply.cellId, subnet: reply.network?.subnet }, "cell joined");
      deps.onJoined?.();
    } else log.warn({ code: reply.code }, "cell join refused");
    msg.respond(encode(RegisterCellReply, reply));
  };
  // registrations are answered several at once: one's JWT and reply overlap another's transaction
  (async () => {
    const inFlight = new Set<Promise<void>>();
    for await (const msg of sub) {
      const answering = answer(msg).finally(() => inFlight.delete(answering));
      inFlight.add(answering);
      if (inFlight.size >= REGISTRATIONS_AT_ONCE) await Promise.race(inFlight);
    }
  })().catch((error) => log.error({ err: error }, "register subscription ended"));
  return sub;
}
