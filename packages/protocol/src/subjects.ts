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
 * Instance events go to `grove.v1.events.instances.<cell>` rather than one flat subject: the stream
 * still captures all of them with `grove.v1.events.instances.>`, and the cell token lets NATS
 * permissions and the api check that a cell publishes only as itself.
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
  /** Request/reply, api → agent: `CellCommand` → `CommandReply`. */
  commands: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.commands`,
  /** JetStream, agent → api: `InstanceEvent`. */
  instanceEvents: (cellId: string) => `${PREFIX}.events.instances.${token("cellId", cellId)}`,
  /** The filter of the instance events stream and its consumers. */
  allInstanceEvents: `${PREFIX}.events.instances.>`,
  /** agent → subscribers: `LogLine`. */
  logs: (appId: string, instanceId: string) =>
    `${PREFIX}.logs.${token("appId", appId)}.${token("instanceId", instanceId)}`,
  /** Every log line of one app. */
  appLogs: (appId: string) => `${PREFIX}.logs.${token("appId", appId)}.*`,
  /** Every log line of every app (the api's log relay). */
  allLogs: `${PREFIX}.logs.>`,
  /** Request/reply, api → agent: `ExecRequest` → `ExecReply`. */
  exec: (cellId: string) => `${PREFIX}.cells.${token("cellId", cellId)}.exec`,
  /** Request/reply, api → the agent running the exec: `ExecControl` → `ExecReply`. */
  execControl: (execId: string) => `${PREFIX}.exec.${token("execId", execId)}.control`,
  /** agent → api: `ExecOutput` of one attach. */
  execOutput: (execId: string, attachId: string) =>
    `${PREFIX}.exec.${token("execId", execId)}.out.${token("attachId", attachId)}`,
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

const cellSubject = /^grove\.v1\.cells\.([^.]+)\.(heartbeat|sync|commands)$/;
const eventSubject = /^grove\.v1\.events\.instances\.([^.]+)$/;
const logSubject = /^grove\.v1\.logs\.([^.]+)\.([^.]+)$/;

/** The cell id embedded in a cell-scoped subject (heartbeat, sync, commands, instance events), if any. */
export function cellOfSubject(subject: string): string | undefined {
  return cellSubject.exec(subject)?.[1] ?? eventSubject.exec(subject)?.[1];
}

/** The app and instance ids of a log subject, if it is one. */
export function parseLogSubject(subject: string): { appId: string; instanceId: string } | undefined {
  const m = logSubject.exec(subject);
  return m?.[1] && m[2] ? { appId: m[1], instanceId: m[2] } : undefined;
}
