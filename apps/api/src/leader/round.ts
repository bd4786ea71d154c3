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
import { planConvergenceInSlices } from "../convergence/plan";
import { applyPlan, strayInstances } from "../repo/convergence";
import {
  assignInstances,
  cellNames,
  cellSnapshots,
  claimVolumeCells,
  markCommandsSent,
  markStartRefused,
  type PendingStart,
  pendingStarts,
  recordUnplaced,
  unplacedInstances,
} from "../repo/placement";
import { recordReportedVolumeCells, strayVolumes } from "../repo/volume-reports";
import { removeVolumeOnCell } from "../volumes/remove-on-cell";
import { type KeyedDispatch, mapBounded } from "./bounded";
import { placeWithVolumes } from "./place-with-volumes";
import { ClusterView } from "./view";

/** Volume removals in flight at once from one round. */
const DEFAULT_COMMAND_CONCURRENCY = 256;
/** Start commands one round sends at most; the rest are due next round, which follows at once. */
const DEFAULT_STARTS_PER_ROUND = 5_000;

/** What one round did. */
export interface RoundResult {
  created: number;
  stopped: number;
  placed: number;
  unplaced: number;
  /** start commands handed to the dispatch (sent in the background; replies handled there) */
  started: number;
  strays: number;
  /** apps of single-writer volumes whose new instance waits for the old one to stop (next round) */
  deferred: number;
  /** volumes removed from cells because they no longer exist */
  strayVolumes: number;
  /** 1 when more start commands were due than one round sends (the loop runs again at once) */
  startsLeft: number;
}

export interface RoundDeps {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  /** how long a cell has to answer a command */
  commandTimeoutMs?: number;
  /** when an unanswered start command is sent again (commands are idempotent) */
  resendAfterMs?: number;
  now?: () => Date;
  /** opens docker apps' sealed registry credentials for their start commands */
  secrets?: SecretBox;
  /** commands in flight at once (default `DEFAULT_COMMAND_CONCURRENCY`), for volume removals */
  commandConcurrency?: number;
  /**
   * where start and stop commands go: sent in the background, at most so many in flight, so a round
   * never waits on replies (a slow or unreachable cell costs a round nothing); one per instance
   */
  dispatch: KeyedDispatch;
  /** start commands per round (default `DEFAULT_STARTS_PER_ROUND`) */
  startsPerRound?: number;
  /** filled with how long each phase of the round took, in ms (for the round's log line) */
  phasesMs?: Record<string, number>;
  /** the leader's view kept between rounds, so a round reads only what was written since the last */
  view?: ClusterView;
}

/**
 * One leader round: converge (create missing instances, stop unwanted ones, restart crashed ones
 * per the backoff), place what is unplaced (recording the scheduler's reason for what fits
 * nowhere), then hand due start commands, and stop commands for stopped instances and strays, to
 * the dispatch, which sends them in the background.
 */
export async function runRound(deps: RoundDeps): Promise<RoundResult> {
  const now = deps.now?.() ?? new Date();
  let mark = performance.now();
  const phase = (name: string) => {
    const at = performance.now();
    if (deps.phasesMs) deps.phasesMs[name] = Math.round(at - mark);
    mark = at;
  };
  const view = deps.view ?? new ClusterView();
  const { desired, actual } = await view.read(deps.db);
  phase("read");
  // in slices: requests and instance events are served between them
  const plan = await planConvergenceInSlices(desired, actual, now);
  phase("plan");
  await applyPlan(deps.db, plan);
  phase("apply");
  const result: RoundResult = {
    created: plan.create.length,
    stopped: plan.stop.length,
    placed: 0,
    unplaced: 0,
    started: 0,
    strays: 0,
    deferred: plan.deferred.length,
    strayVolumes: 0,
    startsLeft: 0,
  };
  await recordReportedVolumeCells(deps.db);
  const work = await unplacedInstances(deps.db);
  phase("unplaced");
  if (work.length > 0) {
    const decision = placeWithVolumes(
      // cells' usage from the view, without the instances this round stopped
      { cells: await cellSnapshots(deps.db, view.usage(new Set(plan.stop.map((s) => s.instanceId)))) },
      work,
      await cellNames(deps.db),
    );
    // a volume's cell is claimed before any instance is sent there, so its data has one home
    await claimVolumeCells(deps.db, decision.claims);
    result.placed = await assignInstances(deps.db, decision.placements);
    await recordUnplaced(deps.db, decision.unplaced);
    result.unplaced = decision.unplaced.length;
  }
  phase("place");
  const startsPerRound = deps.startsPerRound ?? DEFAULT_STARTS_PER_ROUND;
  const concurrency = deps.commandConcurrency ?? DEFAULT_COMMAND_CONCURRENCY;
  // starts still queued from earlier rounds count against this round's share
  const room = startsPerRound - deps.dispatch.size;
  const due =
    room > 0
      ? (await pendingStarts(deps.db, deps.resendAfterMs ?? 15_000, room)).filter(
          (start) => !deps.dispatch.has(start.instanceId),
        )
      : [];
  result.startsLeft = due.length >= room ? 1 : 0;
  await markCommandsSent(
    deps.db,
    due.map((start) => start.instanceId),
  );
  phase("due");
  for (const start of due) deps.dispatch.add(start.instanceId, () => sendStart(deps, start));
  result.started = due.length;
  const stops = plan.stop.filter((s) => s.command && s.cellId !== null) as {
    instanceId: string;
    cellId: string;
  }[];
  const strays = await strayInstances(deps.db, (id) => view.cellOf(id));
  result.strays = strays.length;
  phase("strays");
  for (const { cellId, instanceId } of [...stops, ...strays]) {
    // a start not sent yet is not sent at all; one sent already reaches the cell before this stop
    deps.dispatch.cancel(instanceId);
    deps.dispatch.add(`stop:${instanceId}`, () => sendStop(deps, cellId, instanceId));
  }
  const goneVolumes = await strayVolumes(deps.db);
  result.strayVolumes = goneVolumes.length;
  await mapBounded(goneVolumes, concurrency, async ({ cellId, volumeId }) => {
    const outcome = await removeVolumeOnCell(deps.nc, cellId, volumeId, deps.commandTimeoutMs);
    if (!outcome.removed)
      deps.log.warn(
        { cellId, volumeId, reason: outcome.error },
        "deleted volume not removed from its cell yet",
      );
  });
  phase("volumes");
  return result;
}

async function request(
  deps: RoundDeps,
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

async function sendStart(deps: RoundDeps, start: PendingStart): Promise<void> {
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

async function sendStop(deps: RoundDeps, cellId: string, instanceId: string): Promise<void> {
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
