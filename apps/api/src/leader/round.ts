import { randomUUID } from "node:crypto";
import { mapBounded } from "@grove/async";
import type { Database } from "@grove/db";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { planConvergenceInSlices } from "../convergence/plan";
import { applyPlan, strayInstances } from "../repo/convergence";
import {
  assignInstances,
  cellNames,
  cellSnapshots,
  claimVolumeCells,
  insertPlacedInstances,
  newInstanceSpecs,
  type PlacedNewInstance,
  recordUnplaced,
  type UnplacedInstance,
  unplacedInstances,
} from "../repo/placement";
import { recordReportedVolumeCells, strayVolumes } from "../repo/volume-reports";
import { removeVolumeOnCell } from "../volumes/remove-on-cell";
import type { KeyedDispatch } from "./bounded";
import { sendStop } from "./cell-commands";
import { CellReports } from "./cell-reports";
import type { Exclusive } from "./exclusive";
import { placeWithVolumes } from "./place-with-volumes";
import { StrayCandidates } from "./stray-candidates";
import { ClusterView } from "./view";

/** New instances written in one statement (and committed before the next chunk). */
const INSERT_CHUNK = 5_000;

/** Volume removals in flight at once from one round. */
const DEFAULT_COMMAND_CONCURRENCY = 256;

/** What one round did. */
export interface RoundResult {
  created: number;
  stopped: number;
  placed: number;
  unplaced: number;
  strays: number;
  /** apps of single-writer volumes whose new instance waits for the old one to stop (next round) */
  deferred: number;
  /** volumes removed from cells because they no longer exist */
  strayVolumes: number;
}

export interface RoundDeps {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  /** how long a cell has to answer a command */
  commandTimeoutMs?: number;
  now?: () => Date;
  /** commands in flight at once (default `DEFAULT_COMMAND_CONCURRENCY`), for volume removals */
  commandConcurrency?: number;
  /**
   * where stop commands go (and the start pump's starts): sent in the background, at most so many
   * in flight, so a round never waits on replies (a slow or unreachable cell costs a round
   * nothing); one per instance
   */
  dispatch: KeyedDispatch;
  /**
   * held while the round stops instances and hands their stops to the dispatch, as the start pump
   * holds it while it claims starts and queues them: a start claimed before a stop is queued before
   * the stop (which drops it), and none is claimed for an instance already stopped
   */
  exclusive?: Exclusive;
  /**
   * called once instances the round placed are written (it may be called again in the round), with
   * those whose starts the start pump is to send from memory (`handedOff`: written as sent now)
   */
  onPlaced?: (handedOff: string[]) => void;
  /** filled with how long each phase of the round took, in ms (for the round's log line) */
  phasesMs?: Record<string, number>;
  /** the leader's view kept between rounds, so a round reads only what was written since the last */
  view?: ClusterView;
  /** the cells' reports kept between rounds, so a round reads only the changed ones */
  reports?: CellReports;
  /** the pairs checked for strays, kept between rounds so that a round checks only what changed */
  strays?: StrayCandidates;
}

/**
 * One leader round: converge (create missing instances, stop unwanted ones, restart crashed ones
 * per the backoff), place what is unplaced (recording the scheduler's reason for what fits
 * nowhere), and hand stop commands for stopped instances and strays to the dispatch, which sends
 * them in the background. Start commands are the start pump's (`start-pump.ts`): a round that
 * placed anything wakes it.
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
  // new instances of apps without volumes are placed before they are written, and written once
  // (PLACED, or UNPLACED with the reason); those mounting volumes are written unplaced first and
  // placed from the table with the ones already waiting (their volumes' cells and data live there)
  const specs = await newInstanceSpecs(deps.db, [...new Set(plan.create.map((c) => c.appId))]);
  const fresh = new Map<string, { row: PlacedNewInstance; work: UnplacedInstance }>();
  const viaTable: typeof plan.create = [];
  for (const create of plan.create) {
    const spec = specs.get(create.appId);
    if (!spec || spec.mounts || spec.revision !== create.revision) {
      viaTable.push(create);
      continue;
    }
    const id = randomUUID();
    fresh.set(id, {
      // its start goes from memory (`onPlaced`), not by a claim, when its revision can start
      row: { id, ...create, cellId: null, reason: "waiting for placement", handedOff: spec.startable },
      work: {
        instanceId: id,
        appId: create.appId,
        index: create.index,
        memoryMb: spec.memoryMb,
        diskMb: spec.diskMb,
        stack: spec.stack,
        volumes: [],
      },
    });
  }
  const stopPlanned = async () => {
    await applyPlan(deps.db, { ...plan, create: viaTable });
    for (const { instanceId, cellId, command } of plan.stop) {
      if (!command || cellId === null) continue;
      // a start not sent yet is not sent at all; one sent already reaches the cell before this stop
      deps.dispatch.cancel(instanceId);
      deps.dispatch.add(`stop:${instanceId}`, () => sendStop(deps, cellId, instanceId));
    }
  };
  await (deps.exclusive ? deps.exclusive.run(stopPlanned) : stopPlanned());
  phase("apply");
  const result: RoundResult = {
    created: plan.create.length,
    stopped: plan.stop.length,
    placed: 0,
    unplaced: 0,
    strays: 0,
    deferred: plan.deferred.length,
    strayVolumes: 0,
  };
  await recordReportedVolumeCells(deps.db);
  const waiting = await unplacedInstances(deps.db);
  phase("unplaced");
  const work = [...waiting, ...[...fresh.values()].map((f) => f.work)];
  if (work.length > 0) {
    const decision = placeWithVolumes(
      // cells' usage from the view, without the instances this round stopped
      { cells: await cellSnapshots(deps.db, view.usage(new Set(plan.stop.map((s) => s.instanceId)))) },
      work,
      await cellNames(deps.db),
    );
    // a volume's cell is claimed before any instance is sent there, so its data has one home
    await claimVolumeCells(deps.db, decision.claims);
    for (const { instanceId, cellId } of decision.placements) {
      const row = fresh.get(instanceId)?.row;
      if (row) {
        row.cellId = cellId;
        row.reason = null;
      }
    }
    for (const { instanceId, reason } of decision.unplaced) {
      const row = fresh.get(instanceId)?.row;
      if (row) row.reason = reason;
    }
    const rows = [...fresh.values()].map((f) => f.row);
    // in chunks, each committed on its own: the start pump sends the first chunk's starts while
    // the next is written (one statement of 100,000 rows held every start back for seconds)
    for (let at = 0; at < rows.length; at += INSERT_CHUNK) {
      const chunk = rows.slice(at, at + INSERT_CHUNK);
      await insertPlacedInstances(deps.db, chunk);
      if (chunk.some((row) => row.cellId !== null))
        deps.onPlaced?.(chunk.filter((row) => row.cellId !== null && row.handedOff).map((row) => row.id));
    }
    // every part of the plan is written (its new instances last)
    view.planned();
    result.placed =
      rows.filter((row) => row.cellId !== null).length +
      (await assignInstances(
        deps.db,
        decision.placements.filter((p) => !fresh.has(p.instanceId)),
      ));
    await recordUnplaced(
      deps.db,
      decision.unplaced.filter((u) => !fresh.has(u.instanceId)),
    );
    result.unplaced = decision.unplaced.length;
  } else view.planned();
  phase("place");
  const concurrency = deps.commandConcurrency ?? DEFAULT_COMMAND_CONCURRENCY;
  const reported = await (deps.reports ?? new CellReports()).read(deps.db);
  const unexplained = (deps.strays ?? new StrayCandidates()).unexplained(reported, view.takeMoved(), (id) =>
    view.cellOf(id),
  );
  const strays = await strayInstances(deps.db, unexplained);
  result.strays = strays.length;
  phase("strays");
  for (const { cellId, instanceId } of strays) {
    deps.dispatch.cancel(instanceId);
    deps.dispatch.add(`stop:${instanceId}`, () => sendStop(deps, cellId, instanceId));
  }
  const goneVolumes = await strayVolumes(deps.db, reported);
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
