import type { Database } from "@grove/db";
import {
  CommandReply,
  decode,
  type InstanceImage,
  MAX_START_BATCH,
  type RefusedStart,
  type StartInstance,
  subjects,
} from "@grove/protocol";
import { createCurve } from "@nats-io/nkeys";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { SecretBox } from "../apps/secret-box";
import type { ApiMetrics } from "../metrics";
import { commandBytes } from "../policies/push";
import { markStartRefused, type PendingStart } from "../repo/placement";
import type { StartContacts } from "./start-contacts";

/** What sending a start or stop command to a cell needs. */
export interface CommandDeps {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  /** how long a cell has to answer a command */
  commandTimeoutMs?: number;
  /** opens docker apps' sealed registry credentials for their start commands */
  secrets?: SecretBox;
}

/** What sending start commands needs besides: where sends and acceptances are noted and counted. */
export interface StartDeps extends CommandDeps {
  /** when each start last went to its cell or was accepted (the pump's resend clock) */
  contacts?: StartContacts;
  metrics?: Pick<ApiMetrics, "startCommands" | "startsSent">;
}

/** NATS's default max payload, when the server has not said its own. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** What a command's reply says: carried out (or taken) or not, why not, and the starts refused. */
interface Reply {
  ok: boolean;
  error: string;
  refused: RefusedStart[];
}

async function request(deps: CommandDeps, cellId: string, body: Uint8Array): Promise<Reply> {
  const msg = await deps.nc.request(subjects.commands(cellId), body, {
    timeout: deps.commandTimeoutMs ?? 10_000,
  });
  const reply = decode(CommandReply, msg.data, msg.subject);
  if (!reply.ok) return { ok: false, error: reply.error.message, refused: [] };
  return { ok: reply.value.ok, error: reply.value.error ?? "refused", refused: reply.value.refused ?? [] };
}

/** The start command of a pending start, or undefined when it cannot go now (why is logged or stored). */
async function startCommandOf(deps: CommandDeps, start: PendingStart): Promise<StartInstance | undefined> {
  let image: InstanceImage | null | undefined;
  try {
    image = start.image ? instanceImage(start, deps.secrets) : undefined;
  } catch (error) {
    // a key that changed (a new NATS authority) cannot open credentials sealed before: resending
    // would fail the same way for ever, so the instance crashes with what to do
    const reason = `registry credentials of this app cannot be opened (${(error as Error).message}): push it again with --registry-username and --registry-password`;
    deps.log.warn({ instanceId: start.instanceId, cellId: start.cellId, reason }, "start not sent");
    await markStartRefused(deps.db, start.instanceId, reason);
    return undefined;
  }
  if (start.healthCheck === null) {
    // never valid again: resending would fail the same way, so the instance crashes saying why
    const reason = "its revision's stored health check is not valid: push the app again";
    deps.log.warn({ instanceId: start.instanceId, cellId: start.cellId, reason }, "start not sent");
    await markStartRefused(deps.db, start.instanceId, reason);
    return undefined;
  }
  if (image === null) {
    // a cell that has not reported its key yet (it syncs right after joining): resent later
    deps.log.warn(
      { instanceId: start.instanceId, cellId: start.cellId },
      "start of a private image waits for the cell's seal key",
    );
    return undefined;
  }
  return {
    type: "start-instance",
    instanceId: start.instanceId,
    appId: start.appId,
    tenantId: start.tenantId,
    revision: start.revision,
    index: start.index,
    ...(start.bitsDigest ? { bitsDigest: start.bitsDigest } : {}),
    ...(image ? { image } : {}),
    stack: start.stack,
    command: start.command,
    env: start.env,
    memoryMb: start.memoryMb,
    diskMb: start.diskMb,
    ports: start.ports,
    healthCheck: start.healthCheck,
    ...(start.logLinesPerSecond !== undefined ? { logLinesPerSecond: start.logLinesPerSecond } : {}),
    routes: [],
    volumes: start.volumes,
  };
}

/** Sends one `start-instance` command (to a cell that takes no batches) and waits for its reply. */
export async function sendStart(deps: StartDeps, start: PendingStart): Promise<void> {
  const log = deps.log.child({ instanceId: start.instanceId, cellId: start.cellId });
  const body = await startCommandOf(deps, start);
  if (!body) return;
  try {
    deps.contacts?.touch([start.instanceId]);
    deps.metrics?.startCommands.inc({ kind: "single" });
    deps.metrics?.startsSent.inc();
    const reply = await request(deps, start.cellId, commandBytes(body));
    if (reply.ok) {
      deps.contacts?.touch([start.instanceId]);
      return;
    }
    log.warn({ reason: reply.error }, "cell refused start");
    await markStartRefused(deps.db, start.instanceId, `start refused by cell: ${reply.error}`);
  } catch (error) {
    log.warn({ err: error }, "start command unanswered; will resend");
  }
}

/**
 * Sends the starts of one cell as `start-instances` commands (at most `MAX_START_BATCH` each, and
 * each under the NATS server's max payload: a batch too large goes as two halves). The cell takes
 * a batch at once; a start it refuses counts as a crash with its reason, as a refused single does,
 * and those it accepted are resent only if nothing is heard of them for the resend time.
 */
export async function sendStarts(
  deps: StartDeps,
  cellId: string,
  starts: readonly PendingStart[],
): Promise<void> {
  const bodies: StartInstance[] = [];
  for (const start of starts) {
    const body = await startCommandOf(deps, start);
    if (body) bodies.push(body);
  }
  const maxPayload = deps.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  const send = async (batch: StartInstance[]): Promise<void> => {
    const encoded = commandBytes({ type: "start-instances", starts: batch });
    if (encoded.length > maxPayload && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await Promise.all([send(batch.slice(0, half)), send(batch.slice(half))]);
      return;
    }
    const ids = batch.map((start) => start.instanceId);
    try {
      deps.contacts?.touch(ids);
      deps.metrics?.startCommands.inc({ kind: "batch" });
      deps.metrics?.startsSent.inc(batch.length);
      const reply = await request(deps, cellId, encoded);
      if (!reply.ok) {
        // not taken at all (e.g. the agent is stopping): every start is resent after the resend time
        deps.log.warn(
          { cellId, starts: batch.length, reason: reply.error },
          "cell refused a batch of starts",
        );
        return;
      }
      const refused = new Map(reply.refused.map((r) => [r.instanceId, r.error]));
      deps.contacts?.touch(ids.filter((id) => !refused.has(id)));
      for (const [instanceId, reason] of refused) {
        if (!ids.includes(instanceId)) continue;
        deps.log.warn({ cellId, instanceId, reason }, "cell refused start");
        await markStartRefused(deps.db, instanceId, `start refused by cell: ${reason}`);
      }
    } catch (error) {
      deps.log.warn({ err: error, cellId, starts: batch.length }, "start commands unanswered; will resend");
    }
  };
  for (let at = 0; at < bodies.length; at += MAX_START_BATCH)
    await send(bodies.slice(at, at + MAX_START_BATCH));
}

/**
 * A docker app's image as its start command names it. The credentials are opened only here and
 * sealed at once for the one cell that pulls (its `sealKey`, a one-time sender key); never logged.
 * Null while that cell has not told its key.
 */
function instanceImage(start: PendingStart, secrets: SecretBox | undefined): InstanceImage | null {
  const image = start.image as NonNullable<PendingStart["image"]>;
  const result: InstanceImage = { uri: image.uri };
  if (image.args) result.args = image.args;
  if (image.user) result.user = image.user;
  if (image.workingDir) result.dir = image.workingDir;
  if (start.imageCredentials) {
    if (!secrets) throw new Error("registry credentials cannot be opened without the secrets key");
    const { username, password } = secrets.open<{ username: string; password: string }>(
      start.imageCredentials,
    );
    if (!start.cellSealKey) return null;
    const once = createCurve();
    const box = once.seal(
      new TextEncoder().encode(JSON.stringify({ username, password })),
      start.cellSealKey,
    );
    result.credentials = { from: once.getPublicKey(), box: Buffer.from(box).toString("base64") };
  }
  return result;
}

export async function sendStop(deps: CommandDeps, cellId: string, instanceId: string): Promise<void> {
  try {
    const reply = await request(
      deps,
      cellId,
      commandBytes({ type: "stop-instance", instanceId, graceMs: 10_000 }),
    );
    if (!reply.ok) deps.log.warn({ cellId, instanceId, reason: reply.error }, "cell refused stop");
  } catch (error) {
    deps.log.warn(
      { err: error, cellId, instanceId },
      "stop command unanswered; strays are retried from heartbeats",
    );
  }
}
