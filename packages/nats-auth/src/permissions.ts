import { BITS_BUCKET, subjects } from "@grove/protocol";
import type { UserPermissions } from "./authority";

/** Inbox prefix of a cell's connection: replies to its requests come only to subjects under it. */
export function cellInboxPrefix(cellId: string): string {
  return `_GROVE_INBOX.${cellId}`;
}

/** Inbox prefix of the bootstrap (join) connection. */
export const JOIN_INBOX_PREFIX = "_GROVE_JOIN";

/** replying to a request received (commands, exec control, JetStream flow control) */
const answerRequests = { max: 1 } as const;

const bitsStream = `OBJ_${BITS_BUCKET}`;

/**
 * JetStream API calls that read the bits object store: stream info, an ordered consumer on one
 * object's chunks, and the object's metadata. NATS 2.9 cannot limit a consumer to some objects,
 * so a cell can read every app's bits (not their env, which travels only in its own commands).
 */
const readBits = [
  "$JS.API.INFO",
  `$JS.API.STREAM.INFO.${bitsStream}`,
  `$JS.API.STREAM.MSG.GET.${bitsStream}`,
  `$JS.API.DIRECT.GET.${bitsStream}.>`,
  `$JS.API.CONSUMER.CREATE.${bitsStream}`,
  `$JS.API.CONSUMER.CREATE.${bitsStream}.>`,
  `$JS.API.CONSUMER.DELETE.${bitsStream}.>`,
];

/**
 * A cell's user: it publishes (heartbeat, sync, instance events, log lines, exec output, policy
 * slice requests) and subscribes (commands, volume transfers, exec requests and controls, its inbox)
 * only subjects that carry its own cell id, so the api knows the sender from the subject — and so a
 * cell can ask only for its own policy slice; it hears the policy revision every cell hears, reads
 * bits and answers the requests it receives.
 */
export function cellPermissions(cellId: string): UserPermissions {
  return {
    pub: {
      allow: [
        subjects.heartbeat(cellId),
        subjects.stateSync(cellId),
        subjects.instanceEvents(cellId),
        subjects.cellLogs(cellId),
        // an agent of an older release publishes its lines in the form before tenants
        subjects.legacyCellLogs(cellId),
        subjects.cellExecOutputs(cellId),
        subjects.policySlice(cellId),
        ...readBits,
      ],
    },
    sub: {
      allow: [
        subjects.commands(cellId),
        subjects.volumeTransfers(cellId),
        subjects.exec(cellId),
        subjects.cellExecControls(cellId),
        // the same for every cell, and carries only a revision number
        subjects.policyChanged,
        `${cellInboxPrefix(cellId)}.>`,
      ],
    },
    resp: answerRequests,
  };
}

/** The bootstrap user an agent joins with: it can only ask to register and hear the answer. */
export function joinPermissions(): UserPermissions {
  return {
    pub: { allow: [subjects.register] },
    sub: { allow: [`${JOIN_INBOX_PREFIX}.>`] },
  };
}

/** The router's user: the route messages, nothing else. */
export function routerPermissions(): UserPermissions {
  return {
    pub: { allow: [subjects.routerStart] },
    sub: { allow: [subjects.routerRegister, subjects.routerUnregister, subjects.routerGreet] },
    resp: answerRequests,
  };
}

/** The api's user: the authority speaks on every Grove subject and JetStream (no limits). */
export function apiPermissions(): UserPermissions {
  return {};
}
