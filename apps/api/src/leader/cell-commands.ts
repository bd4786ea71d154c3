import type { Database } from "@grove/db";
import {
  CellCommand,
  CommandReply,
  decode,
  encode,
  HealthCheck,
  type InstanceImage,
  subjects,
} from "@grove/protocol";
import { createCurve } from "@nats-io/nkeys";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { SecretBox } from "../apps/secret-box";
import { markStartRefused, type PendingStart } from "../repo/placement";

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

async function request(
  deps: CommandDeps,
  cellId: string,
  command: Parameters<typeof encode<typeof CellCommand>>[1],
) {
  const msg = await deps.nc.request(subjects.commands(cellId), encode(CellCommand, command), {
    timeout: deps.commandTimeoutMs ?? 10_000,
  });
  const reply = decode(CommandReply, msg.data, msg.subject);
  if (!reply.ok) return { ok: false, error: reply.error.message };
  return { ok: reply.value.ok, error: reply.value.error ?? "refused" };
}

export async function sendStart(deps: CommandDeps, start: PendingStart): Promise<void> {
  const log = deps.log.child({ instanceId: start.instanceId, cellId: start.cellId });
  let image: InstanceImage | null | undefined;
  try {
    image = start.image ? instanceImage(start, deps.secrets) : undefined;
  } catch (error) {
    // a key that changed (a new NATS authority) cannot open credentials sealed before: resending
    // would fail the same way for ever, so the instance crashes with what to do
    const reason = `registry credentials of this app cannot be opened (${(error as Error).message}): push it again with --registry-username and --registry-password`;
    log.warn({ reason }, "start not sent");
    await markStartRefused(deps.db, start.instanceId, reason);
    return;
  }
  if (image === null) {
    // a cell that has not reported its key yet (it syncs right after joining): resent later
    log.warn("start of a private image waits for the cell's seal key");
    return;
  }
  try {
    const reply = await request(deps, start.cellId, {
      v: 1,
      command: {
        type: "start-instance",
        instanceId: start.instanceId,
        appId: start.appId,
        tenantId: start.tenantId,
        revision: start.revision,
        index: start.index,
        bitsDigest: start.bitsDigest,
        ...(image ? { image } : {}),
        stack: start.stack,
        command: start.command,
        env: start.env,
        memoryMb: start.memoryMb,
        diskMb: start.diskMb,
        ports: start.ports,
        healthCheck: HealthCheck.parse(start.healthCheck),
        logLinesPerSecond: start.logLinesPerSecond,
        volumes: start.volumes,
      },
    });
    if (reply.ok) return;
    log.warn({ reason: reply.error }, "cell refused start");
    await markStartRefused(deps.db, start.instanceId, `start refused by cell: ${reply.error}`);
  } catch (error) {
    log.warn({ err: error }, "start command unanswered; will resend");
  }
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
    const reply = await request(deps, cellId, { v: 1, command: { type: "stop-instance", instanceId } });
    if (!reply.ok) deps.log.warn({ cellId, instanceId, reason: reply.error }, "cell refused stop");
  } catch (error) {
    deps.log.warn(
      { err: error, cellId, instanceId },
      "stop command unanswered; strays are retried from heartbeats",
    );
  }
}
