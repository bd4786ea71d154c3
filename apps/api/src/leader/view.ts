import type { Database } from "@grove/db";
import type { ActualInstance, DesiredApp } from "../convergence/plan";
import {
  appCount,
  cellStates,
  desiredApps,
  type InstanceRecord,
  snapshotXmin,
  type WrittenInstance,
  writtenInstances,
} from "../repo/convergence";
import type { CellUsage } from "../repo/placement";
import type { Tx } from "../repo/tx";
import { EventLoopSlices } from "../slices";

/**
 * How often the view is read whole anyway (a safety net; an incremental read misses nothing). Such a
 * read plans only the apps whose rows differ from the view kept, but reading 100,000 instances
 * still costs a round seconds on a busy machine: every 5 minutes, not every minute.
 */
export const FULL_READ_EVERY_MS = 300_000;

/**
 * The leader's view of desired and actual state, kept between rounds: each round reads only the
 * apps and instances written since the previous read (every write of either table stamps the row
 * with its transaction's id, `written_by`), whoever wrote them (this leader, another api replica, an
 * instance event, a cell's state sync, maintenance). A read is whole the first time, after a failed
 * read, when an app was deleted (its instances go with it, leaving no row to read), and every
 * `fullEveryMs`. Cells are few and read whole each time. A whole read replaces what was kept and
 * plans every app only the first time (or while a plan is still owed for all); later ones plan the
 * apps whose rows differ from those kept (an incremental read that missed a write would show there).
 *
 * A read answers what a round has to plan: after a whole read every app; otherwise only the apps
 * something may have changed for — written since, or with instances written since, or with
 * instances on a cell whose state changed — and the apps waiting on the clock (a crashed instance's
 * restart backoff, a crash count to reset after a healthy run). Planning an app whose inputs did not
 * change decides nothing new, so at 100,000 steady instances a round plans a handful of apps, not
 * all. What a read gave stays to plan until the round says its plan was applied (`planned`), so a
 * round that fails half-way loses nothing.
 */
export class ClusterView {
  private readonly apps = new Map<string, DesiredApp>();
  private readonly instances = new Map<string, InstanceRecord>();
  /** instance ids by app id */
  private readonly byApp = new Map<string, Set<string>>();
  private cells = new Map<string, ActualInstance["cellState"]>();
  /** apps to plan that no applied plan has covered yet (undefined: every app) */
  private toPlan: Set<string> | undefined;
  /** apps with an instance waiting on the clock (CRASHED, or RUNNING with crashes to forget) */
  private readonly timed = new Set<string>();
  private readonly reads: WrittenSince;
  /** instances whose cell changed, or that left, since `takeMoved` (all: read whole since) */
  private moved: Set<string> | "all" = "all";

  constructor(options: { fullEveryMs?: number; now?: () => number } = {}) {
    this.reads = new WrittenSince(options);
  }

  /**
   * The apps to plan (every app when `full`) and their instances, as of one snapshot; `full` when
   * everything was read.
   */
  read(db: Database): Promise<{ desired: DesiredApp[]; actual: ActualInstance[]; full: boolean }> {
    // a whole read keeps 100,000 instances: in slices of the event loop (requests wait otherwise)
    const slices = new EventLoopSlices();
    return this.reads.read(db, async (tx, since) => {
      let full = since === undefined;
      const touched = new Set<string>();
      if (since !== undefined) {
        for (const app of await desiredApps(tx, since)) {
          this.apps.set(app.id, app);
          touched.add(app.id);
        }
        for (const instance of await writtenInstances(tx, since)) {
          if (slices.due()) await slices.next();
          this.keep(instance);
          touched.add(instance.appId);
        }
        full = (await appCount(tx)) !== this.apps.size;
      }
      // what a later whole read is compared with: apps whose rows differ are planned, not all
      const kept =
        full && this.toPlan !== undefined
          ? { apps: new Map(this.apps), instances: new Map(this.instances) }
          : undefined;
      if (full) {
        this.moved = "all";
        this.apps.clear();
        this.instances.clear();
        this.byApp.clear();
        // the apps waiting on the clock are planned after a whole read too (it plans only changes)
        if (!kept) this.timed.clear();
        for (const app of await desiredApps(tx)) this.apps.set(app.id, app);
        for (const instance of await writtenInstances(tx)) {
          if (slices.due()) await slices.next();
          this.keep(instance);
        }
      }
      if (kept) {
        for (const [id, app] of this.apps) {
          const was = kept.apps.get(id);
          if (!was || !sameRow(was, app)) touched.add(id);
        }
        for (const [id, instance] of this.instances) {
          if (slices.due()) await slices.next();
          const was = kept.instances.get(id);
          if (!was || !sameRow(was, instance)) touched.add(instance.appId);
        }
        for (const [id, was] of kept.instances) if (!this.instances.has(id)) touched.add(was.appId);
      }
      const cells = await cellStates(tx);
      if (!full || kept) {
        const moved = new Set<string>();
        for (const [id, state] of cells) if (this.cells.get(id) !== state) moved.add(id);
        if (moved.size > 0)
          for (const instance of this.instances.values())
            if (instance.cellId !== null && moved.has(instance.cellId)) touched.add(instance.appId);
      }
      this.cells = cells;
      if (full && !kept) this.toPlan = undefined;
      else if (this.toPlan !== undefined) for (const id of [...touched, ...this.timed]) this.toPlan.add(id);
      const planned = this.toPlan ?? this.apps.keys();
      const desired: DesiredApp[] = [];
      const actual: ActualInstance[] = [];
      for (const appId of planned) {
        if (slices.due()) await slices.next();
        const app = this.apps.get(appId);
        if (app) desired.push(app);
        let waits = false;
        for (const id of this.byApp.get(appId) ?? []) {
          const instance = this.instances.get(id) as InstanceRecord;
          if (instance.state === "CRASHED" || (instance.state === "RUNNING" && instance.crashCount > 0))
            waits = true;
          actual.push({
            ...instance,
            cellState: instance.cellId === null ? null : (cells.get(instance.cellId) ?? null),
          });
        }
        if (waits) this.timed.add(appId);
        else this.timed.delete(appId);
      }
      // a whole read also plans the instances of apps that are gone (they are stopped)
      if (full)
        for (const instance of this.instances.values())
          if (!this.apps.has(instance.appId))
            actual.push({
              ...instance,
              cellState: instance.cellId === null ? null : (cells.get(instance.cellId) ?? null),
            });
      return { desired, actual, full };
    });
  }

  /** The plan made from the last read was applied: the apps it covered need no plan until changed. */
  planned(): void {
    this.toPlan = new Set();
  }

  /**
   * What the instances of the last read take on each cell, those in `leaving` (stopped since) left
   * out: PLACED, STARTING, RUNNING and CRASHED instances hold their app's memory and disk.
   */
  usage(leaving: ReadonlySet<string>): Map<string, CellUsage> {
    const usage = new Map<string, CellUsage>();
    for (const instance of this.instances.values()) {
      if (instance.cellId === null || instance.state === "UNPLACED" || leaving.has(instance.id)) continue;
      const app = this.apps.get(instance.appId);
      let cell = usage.get(instance.cellId);
      if (!cell) {
        cell = { memoryMb: 0, diskMb: 0, containers: 0, apps: {} };
        usage.set(instance.cellId, cell);
      }
      cell.memoryMb += app?.memoryMb ?? 0;
      cell.diskMb += app?.diskMb ?? 0;
      cell.containers++;
      cell.apps[instance.appId] = (cell.apps[instance.appId] ?? 0) + 1;
    }
    return usage;
  }

  /** The cell of an instance as last read (undefined when unknown or STOPPED). */
  cellOf(instanceId: string): string | null | undefined {
    return this.instances.get(instanceId)?.cellId;
  }

  /**
   * The instances whose cell changed or that left the view (stopped) since the last call, or "all"
   * when the view was read whole since (first, and every `fullEveryMs`).
   */
  takeMoved(): ReadonlySet<string> | "all" {
    const moved = this.moved;
    this.moved = new Set();
    return moved;
  }

  private keep(instance: WrittenInstance): void {
    if (
      this.moved !== "all" &&
      this.instances.get(instance.id)?.cellId !== (instance.state === "STOPPED" ? undefined : instance.cellId)
    )
      this.moved.add(instance.id);
    if (instance.state === "STOPPED") {
      this.instances.delete(instance.id);
      const ids = this.byApp.get(instance.appId);
      ids?.delete(instance.id);
      if (ids?.size === 0) this.byApp.delete(instance.appId);
      return;
    }
    this.instances.set(instance.id, instance as InstanceRecord);
    const ids = this.byApp.get(instance.appId);
    if (ids) ids.add(instance.id);
    else this.byApp.set(instance.appId, new Set([instance.id]));
  }
}

/**
 * The bookkeeping of a view read incrementally: each read runs in one repeatable-read snapshot and
 * is given the snapshot xmin of the previous one (rows written from it on are those to read), or
 * undefined when it must read whole: the first time, after a failed read, and every `fullEveryMs`.
 * A read says whether it read whole (it may choose to).
 */
export class WrittenSince {
  /** the snapshot xmin of the last read: rows written from it on are read next */
  private since: string | undefined;
  private fullAt = 0;

  constructor(private readonly options: { fullEveryMs?: number; now?: () => number } = {}) {}

  async read<T extends { full: boolean }>(
    db: Database,
    body: (tx: Tx, since: string | undefined) => Promise<T>,
  ): Promise<T> {
    const now = this.options.now?.() ?? Date.now();
    const since = this.since;
    // a read that fails half-way leaves the view half-updated: the next one is whole
    this.since = undefined;
    return db.transaction(
      async (tx) => {
        const xmin = await snapshotXmin(tx);
        const whole =
          since === undefined || now - this.fullAt >= (this.options.fullEveryMs ?? FULL_READ_EVERY_MS);
        const result = await body(tx, whole ? undefined : since);
        if (result.full) this.fullAt = now;
        this.since = xmin;
        return result;
      },
      { isolationLevel: "repeatable read", accessMode: "read only" },
    );
  }
}

/** Whether two rows as read are the same: each field equal, dates by their time, objects by their JSON. */
function sameRow(a: object, b: object): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const key of keys) {
    const u = x[key];
    const v = y[key];
    if (u === v) continue;
    if (u instanceof Date && v instanceof Date) {
      if (u.getTime() === v.getTime()) continue;
      return false;
    }
    if (typeof u !== "object" || typeof v !== "object" || u === null || v === null) return false;
    if (JSON.stringify(u) !== JSON.stringify(v)) return false;
  }
  return true;
}
