import { EventLoopSlices } from "../slices";
import { HEALTHY_RESET_MS, restartDelayMs } from "./backoff";

/** An app's desired state as convergence reads it. */
export interface DesiredApp {
  id: string;
  tenantId: string;
  state: "started" | "stopped";
  instances: number;
  revision: number;
  /** instances created before this are replaced (restart) */
  restartedAt: Date | null;
  hasBits: boolean;
  /** it mounts a single-writer volume: never two instances at once, so a replacement waits for the old one */
  singleWriter?: boolean;
  /** the cell holding its volumes' data, when it mounts any that is placed */
  volumeCellId?: string | null;
  /** what each instance takes of a cell (the leader's view counts cells' usage with them) */
  memoryMb?: number;
  diskMb?: number;
}

/** An instance that is not STOPPED, with the state of its cell. */
export interface ActualInstance {
  id: string;
  appId: string;
  index: number;
  revision: number;
  state: "UNPLACED" | "PLACED" | "STARTING" | "RUNNING" | "CRASHED";
  cellId: string | null;
  cellState: "active" | "draining" | "lost" | null;
  crashCount: number;
  createdAt: Date;
  since: Date;
}

/** What convergence decided. Each list is independent; applying any subset is safe. */
export interface ConvergencePlan {
  /** new instance rows to make (UNPLACED), carrying the crash count of the one they replace */
  create: { appId: string; tenantId: string; index: number; revision: number; crashCount: number }[];
  /** instances to stop: `command` when a cell must be told, otherwise just mark them stopped */
  stop: { instanceId: string; cellId: string | null; command: boolean; reason: string }[];
  /** crash counts to reset after a long enough healthy run */
  resetCrashCount: string[];
  /** apps of a single-writer volume whose new instance waits for the next round (the old one stops first) */
  deferred: string[];
}

/**
 * An instance is current when it runs the app's revision, postdates a restart and sits on a usable
 * (not draining, not lost) cell.
 */
function isCurrent(app: DesiredApp, instance: ActualInstance): boolean {
  return (
    instance.revision === app.revision &&
    (app.restartedAt === null || instance.createdAt >= app.restartedAt) &&
    instance.cellState !== "draining" &&
    instance.cellState !== "lost"
  );
}

/**
 * An instance on a draining cell that holds its app's volume data: the data moves only once
 * nothing there mounts it, so the instance stops first and its replacement starts after the copy.
 */
function holdsDataToMove(app: DesiredApp, instance: ActualInstance): boolean {
  return instance.cellState === "draining" && instance.cellId === app.volumeCellId;
}

/**
 * Compares desired with actual and decides, without I/O:
 * - every wanted index (app started, has bits) gets one current instance, created if missing;
 * - a crashed current instance is replaced by a new one after Diego's backoff (never after 200 crashes);
 * - superseded instances (old revision, restarted, on a draining cell) are stopped once the current
 *   instance of their index is RUNNING; until then the newest RUNNING one stays, so the running count
 *   never dips (evacuation), and the others (older RUNNING ones, any not running) stop at once;
 * - unwanted instances (app stopped, index scaled away) stop at once; instances on lost cells are
 *   marked stopped without a command (their replacements are made at once);
 * - an app of a single-writer volume never has two instances at once: superseded instances stop at
 *   once, and no new instance is made in a round that stops one of the app's (stop, then start);
 * - an instance on a draining cell holding its app's volume data stops at once: the data is copied
 *   to another cell once nothing mounts it, and the replacement starts there (down meanwhile).
 */
export function planConvergence(apps: DesiredApp[], instances: ActualInstance[], now: Date): ConvergencePlan {
  const steps = planSteps(apps, instances, now);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `planConvergence` in slices: the event loop is given back (`setImmediate`) whenever a slice has
 * taken `sliceMs`, so at 100,000 instances HTTP requests and instance events do not wait for the
 * whole plan. The inputs must not change meanwhile (the leader's round builds them for the plan).
 */
export async function planConvergenceInSlices(
  apps: DesiredApp[],
  instances: ActualInstance[],
  now: Date,
  sliceMs = 10,
): Promise<ConvergencePlan> {
  const steps = planSteps(apps, instances, now);
  const slices = new EventLoopSlices(sliceMs);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (slices.due()) await slices.next();
  }
}

/** The plan, made one app per step. */
function* planSteps(
  apps: DesiredApp[],
  instances: ActualInstance[],
  now: Date,
): Generator<void, ConvergencePlan> {
  const plan: ConvergencePlan = { create: [], stop: [], resetCrashCount: [], deferred: [] };
  const byApp = new Map<string, ActualInstance[]>();
  for (const instance of instances) {
    const list = byApp.get(instance.appId) ?? [];
    list.push(instance);
    byApp.set(instance.appId, list);
  }
  const stop = (instance: ActualInstance, reason: string) =>
    plan.stop.push({
      instanceId: instance.id,
      cellId: instance.cellId,
      command: instance.cellId !== null && instance.state !== "UNPLACED" && instance.cellState !== "lost",
      reason,
    });

  for (const app of apps) {
    const mine = byApp.get(app.id) ?? [];
    byApp.delete(app.id);
    const stopsBefore = plan.stop.length;
    const createsBefore = plan.create.length;
    const wanted = app.state === "started" && app.hasBits ? app.instances : 0;
    const byIndex = new Map<number, ActualInstance[]>();
    let end = wanted;
    for (const instance of mine) {
      const list = byIndex.get(instance.index);
      if (list) list.push(instance);
      else byIndex.set(instance.index, [instance]);
      end = Math.max(end, instance.index + 1);
    }
    for (let index = 0; index < end; index++) {
      const atIndex = byIndex.get(index) ?? [];
      if (index >= wanted) {
        for (const instance of atIndex)
          stop(instance, app.state === "stopped" ? "app stopped" : "scaled down");
        continue;
      }
      for (const instance of atIndex) if (instance.cellState === "lost") stop(instance, "cell lost");
      const usable = atIndex.filter((i) => i.cellState !== "lost");
      const current = usable.filter((i) => isCurrent(app, i));
      const superseded = usable.filter((i) => !isCurrent(app, i));
      // the newest current instance stands for the index; older duplicates go
      current.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      const [keeper, ...duplicates] = current;
      for (const duplicate of duplicates) stop(duplicate, "duplicate");
      const inherited = Math.max(0, ...atIndex.map((i) => i.crashCount));
      if (!keeper) {
        plan.create.push({
          appId: app.id,
          tenantId: app.tenantId,
          index,
          revision: app.revision,
          crashCount: inherited,
        });
      } else if (keeper.state === "CRASHED") {
        const delay = restartDelayMs(keeper.crashCount);
        if (delay !== undefined && now.getTime() - keeper.since.getTime() >= delay) {
          stop(keeper, "restarting after crash");
          plan.create.push({
            appId: app.id,
            tenantId: app.tenantId,
            index,
            revision: app.revision,
            crashCount: keeper.crashCount,
          });
        }
      } else if (
        keeper.state === "RUNNING" &&
        keeper.crashCount > 0 &&
        now.getTime() - keeper.since.getTime() >= HEALTHY_RESET_MS
      ) {
        plan.resetCrashCount.push(keeper.id);
      }
      const replacementRunning = keeper?.state === "RUNNING";
      // until the replacement runs, one superseded instance serving the index is enough: the newest
      // RUNNING one (pushes faster than starts must not pile up a container per revision)
      const standIn = replacementRunning
        ? undefined
        : superseded
            .filter((i) => i.state === "RUNNING" && !holdsDataToMove(app, i))
            .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
      for (const old of superseded) {
        if (app.singleWriter || old !== standIn) stop(old, "superseded");
      }
    }
    if (app.singleWriter && plan.stop.length > stopsBefore && plan.create.length > createsBefore) {
      plan.create.splice(createsBefore);
      plan.deferred.push(app.id);
    }
    yield;
  }
  // instances of apps that no longer exist
  for (const orphans of byApp.values()) for (const instance of orphans) stop(instance, "app deleted");
  return plan;
}
