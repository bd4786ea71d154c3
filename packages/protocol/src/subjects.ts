import { InvalidSubjectToken } from "./errors";

const PREFIX = "grove.v1";
const tokenPattern = /^[^\s.*>]+$/;

function token(field: string, value: string): string {
  if (!tokenPattern.test(value)) throw new InvalidSubjectToken(field, value);
  return value;
}

/** JetStream stream holding instance events (subjects `grove.v1.events.instances.>`). */
export const INSTANCE_EVENTS_STREAM = "GROVE_INSTANCE_EVENTS";

/** JetStream stream holding messages the api gave up on (subjects `grove.v1.deadletters.>`). */
export const DEAD_LETTERS_STREAM = "GROVE_DEAD_LETTERS";

/** JetStream object store of app bits, stored by digest. */
export const BITS_BUCKET = "grove-bits";

/**
 * Every NATS subject Grove uses. Builders throw `InvalidSubjectToken` for ids that would change the
 * subject's shape (a `.` or wildcard in an id), so a hostile id can never widen a subscription.
 *
 * Everything a cell publishes or hears carries its cell id: heartbeats, syncs, commands, log lines
 * and exec controls and output under `grove.v1.cells.<cell>.`, instance events on
 * `grove.v1.events.instances.<cell>` (one stream captures them all with `grove.v1.events.instances.>`).
 * NATS permissions then let a cell's user publish and subscribe only its own subjects, so the api
 * knows the sender from the subject.
 */
export const subjects = {
  /** Request/reply, agent → api: `RegisterCellRequest` → `RegisterCellReply`. */
  register: `${PREFIX}.cells.register`,
  /** agent → api: `CellHeartbeat`, every 5 s. */
  heartbeat: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.heartbeat`,
  /** All heartbeats, for the api's subscription. */
  allHeartbeats: `${PREFIX}.cells.*.heartbeat`,
  /** Request/reply, agent → api: `CellStateSync` → `CellStateSyncReply`, after every agent start. */
  stateSync: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.sync`,
  /** All state syncs, for the api's subscription. */
  allStateSyncs: `${PREFIX}.cells.*.sync`,
  /** Request/reply, agent → api: `PolicySliceRequest` → `PolicySliceReply` (the cell's network policy). */
  policySlice: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.policy`,
  /** All policy slice requests, for the api's subscription. */
  allPolicySlices: `${PREFIX}.cells.*.policy`,
  /** api → every cell: `PolicyChanged` (a revision to pull). */
  policyChanged: `${PREFIX}.policy.changed`,
  /** Request/reply, api → agent: `CellCommand` → `CommandReply`. */
  commands: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.commands`,
  /** JetStream, agent → api: `InstanceEvent`. */
  instanceEvents: (cellId: string) => `${PREFIX}.events.instances.${token("cellId", cellId)}`,
  /** The filter of the instance events stream and its consumers. */
  allInstanceEvents: `${PREFIX}.events.instances.>`,
  /**
   * agent → subscribers: `LogLine` of one instance, naming its tenant and the cell running it. The
   * tenant comes first so each tenant's lines go to its own stream (limits per tenant); the app
   * before the cell so an app's filter has no wildcard in the middle: NATS 2.9 miscounts a
   * consumer's pending messages for such filters, and log tails find their window by counting.
   */
  logs: (cellId: string, tenantId: string, appId: string, instanceId: string) =>
    `${PREFIX}.logs.${token("tenantId", tenantId)}.${token("appId", appId)}.${token("cellId", cellId)}.${token("instanceId", instanceId)}`,
  /** Every log line of one app, from whichever cell (the api checks the cell against the placement). */
  appLogs: (tenantId: string, appId: string) =>
    `${PREFIX}.logs.${token("tenantId", tenantId)}.${token("appId", appId)}.*.*`,
  /** Every log line of one tenant (its logs stream). */
  tenantLogs: (tenantId: string) => `${PREFIX}.logs.${token("tenantId", tenantId)}.*.*.*`,
  /** Every log line one cell may publish. */
  cellLogs: (cellId: string) => `${PREFIX}.logs.*.*.${token("cellId", cellId)}.*`,
  /**
   * A log line in the form before tenants (`logs.<app>.<cell>.<instance>`): what agents of an older
   * release, and cells whose NATS user was made before, publish; the api moves such lines to
   * their tenant's subject.
   */
  legacyLogs: (cellId: string, appId: string, instanceId: string) =>
    `${PREFIX}.logs.${token("appId", appId)}.${token("cellId", cellId)}.${token("instanceId", instanceId)}`,
  /** Every log line one cell may publish in the form before tenants. */
  legacyCellLogs: (cellId: string) => `${PREFIX}.logs.*.${token("cellId", cellId)}.*`,
  /** Every log line in the form before tenants. */
  allLegacyLogs: `${PREFIX}.logs.*.*.*`,
  /** Request/reply, api → agent: `ExecRequest` → `ExecReply`. */
  exec: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.exec`,
  /** Request/reply, api → the agent running the exec: `ExecControl` → `ExecReply`. */
  execControl: (cellId: string, execId: string) =>
    `${PREFIX}.cells.${token("cellId", cellId)}.exec.${token("execId", execId)}.control`,
  /** The controls of every exec on one cell (what the cell may hear). */
  cellExecControls: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.exec.*.control`,
  /** agent → api: `ExecOutput` of one attach, on the subject of the cell running the exec. */
  execOutput: (cellId: string, execId: string, attachId: string) =>
    `${PREFIX}.cells.${token("cellId", cellId)}.exec.${token("execId", execId)}.out.${token("attachId", attachId)}`,
  /** The output of every exec on one cell (what the cell may publish). */
  cellExecOutputs: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.exec.*.out.*`,
  /** Request/reply, api → agent: `VolumeTransferRequest` → `VolumeTransferReply` (volume data in and out). */
  volumeTransfers: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.volumes`,
  /** JetStream, api only: a message of stream `stream` that could not be processed, as it came. */
  deadLetters: (stream: string) => `${PREFIX}.deadletters.${token("stream", stream)}`,
  /** The filter of the dead letters stream. */
  allDeadLetters: `${PREFIX}.deadletters.>`,
  /** Cloud Foundry gorouter: `RouteRegistration` (add routes). */
  routerRegister: "router.register",
  /** Cloud Foundry gorouter: `RouteRegistration` (remove routes). */
  routerUnregister: "router.unregister",
  /** Cloud Foundry gorouter: request (empty body) → `RouterStart`, asked by route emitters on start. */
  routerGreet: "router.greet",
  /** Cloud Foundry gorouter: `RouterStart`, published by a router when it starts. */
  routerStart: "router.start",
} as const;

const cellSubject =
  /^grove\.v1\.cells\.([^.]+)\.(?:heartbeat|sync|policy|commands|volumes|exec|exec\.[^.]+\.control|exec\.[^.]+\.out\.[^.]+)$/;
const eventSubject = /^grove\.v1\.events\.instances\.([^.]+)$/;
const logSubject = /^grove\.v1\.logs\.([^.]+)\.([^.]+)\.([^.]+)\.([^.]+)$/;
const legacyLogSubject = /^grove\.v1\.logs\.([^.]+)\.([^.]+)\.([^.]+)$/;

/**
 * The cell id embedded in a cell-scoped subject (heartbeat, sync, commands, exec, logs, exec
 * control and output, instance events), if any.
 */
export function cellOfSubject(subject: string): string | undefined {
  return (
    cellSubject.exec(subject)?.[1] ??
    eventSubject.exec(subject)?.[1] ??
    logSubject.exec(subject)?.[3] ??
    legacyLogSubject.exec(subject)?.[2]
  );
}

/** The tenant, app, publishing cell and instance ids of a log subject, if it is one. */
export function parseLogSubject(
  subject: string,
): { tenantId: string; cellId: string; appId: string; instanceId: string } | undefined {
  const m = logSubject.exec(subject);
  return m?.[1] && m[2] && m[3] && m[4]
    ? { tenantId: m[1], appId: m[2], cellId: m[3], instanceId: m[4] }
    : undefined;
}

/** The publishing cell, app and instance ids of a log subject of the form before tenants. */
export function parseLegacyLogSubject(
  subject: string,
): { cellId: string; appId: string; instanceId: string } | undefined {
  const m = legacyLogSubject.exec(subject);
  return m?.[1] && m[2] && m[3] ? { cellId: m[2], appId: m[1], instanceId: m[3] } : undefined;
}

/** Who sent a cell message, or why it cannot be taken as any cell's. */
export type CellSender = { ok: true; cellId: string } | { ok: false; reason: "subject-mismatch" };

/**
 * The cell a message received on `subject` comes from. NATS permissions let only cell C publish
 * on C's subjects, so the subject's cell token is the sender's identity (no credential travels in
 * bodies); a message whose body names another cell, or that came on a subject of no cell, is
 * refused as `subject-mismatch`.
 *
 * @example
 * const sender = cellSender(msg.subject, heartbeat);
 * if (!sender.ok) return reject(sender.reason);
 */
export function cellSender(subject: string, message: { cellId: string }): CellSender {
  const cellId = cellOfSubject(subject);
  return cellId !== undefined && cellId === message.cellId
    ? { ok: true, cellId }
    : { ok: false, reason: "subject-mismatch" };
}
