import { describe, expect, it } from "vitest";
import { type ActualInstance, type DesiredApp, planConvergence, planConvergenceInSlices } from "./plan";

const now = new Date("2026-11-28T12:00:00Z");
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const app = (over: Partial<DesiredApp> = {}): DesiredApp => ({
  id: "app",
  tenantId: "t",
  state: "started",
  instances: 2,
  revision: 2,
  restartedAt: null,
  hasBits: true,
  ...over,
});
let seq = 0;
const inst = (over: Partial<ActualInstance> = {}): ActualInstance => ({
  id: `i${seq++}`,
  appId: "app",
  index: 0,
  revision: 2,
  state: "RUNNING",
  cellId: "c1",
  cellState: "active",
  crashCount: 0,
  createdAt: minutesAgo(10),
  since: minutesAgo(10),
  ...over,
});

describe("planConvergence", () => {
  it("creates the missing indexes of a started app, and nothing for one without bits", () => {
    const plan = planConvergence([app()], [inst({ index: 1 })], now);
    expect(plan.create).toEqual([{ appId: "app", tenantId: "t", index: 0, revision: 2, crashCount: 0 }]);
    expect(planConvergence([app({ hasBits: false })], [], now).create).toEqual([]);
  });

  it("stops extras at once when scaled down or stopped", () => {
    const extra = inst({ index: 2 });
    expect(planConvergence([app()], [inst(), inst({ index: 1 }), extra], now).stop).toEqual([
      { instanceId: extra.id, cellId: "c1", command: true, reason: "scaled down" },
    ]);
    const stopped = planConvergence([app({ state: "stopped" })], [inst(), inst({ index: 1 })], now);
    expect(stopped.stop.map((s) => s.reason)).toEqual(["app stopped", "app stopped"]);
    expect(stopped.create).toEqual([]);
  });

  it("replaces an instance on a lost cell at once, without a command to that cell", () => {
    const lost = inst({ cellState: "lost" });
    const plan = planConvergence([app({ instances: 1 })], [lost], now);
    expect(plan.stop).toEqual([{ instanceId: lost.id, cellId: "c1", command: false, reason: "cell lost" }]);
    expect(plan.create).toHaveLength(1);
  });

  it("drains: starts a replacement, and stops the old instance only once the replacement runs", () => {
    const old = inst({ cellState: "draining" });
    const first = planConvergence([app({ instances: 1 })], [old], now);
    expect(first.create).toHaveLength(1);
    expect(first.stop).toEqual([]);
    const starting = inst({ cellId: "c2", state: "STARTING", createdAt: now });
    expect(planConvergence([app({ instances: 1 })], [old, starting], now)).toMatchObject({
      create: [],
      stop: [],
    });
    const running = { ...starting, state: "RUNNING" as const };
    expect(planConvergence([app({ instances: 1 })], [old, running], now).stop).toEqual([
      { instanceId: old.id, cellId: "c1", command: true, reason: "superseded" },
    ]);
  });

  it("keeps one superseded instance serving an index until its replacement runs, not one per push", () => {
    const oldest = inst({ revision: 1, createdAt: minutesAgo(9) });
    const newer = inst({ revision: 2, createdAt: minutesAgo(5) });
    const notServing = inst({ revision: 3, state: "STARTING", createdAt: minutesAgo(2) });
    const current = inst({ revision: 4, state: "STARTING", createdAt: minutesAgo(1) });
    const plan = planConvergence(
      [app({ instances: 1, revision: 4 })],
      [oldest, newer, notServing, current],
      now,
    );
    expect(plan.create).toEqual([]);
    expect(plan.stop.map((s) => s.instanceId).sort()).toEqual([oldest.id, notServing.id].sort());
    const running = { ...current, state: "RUNNING" as const };
    expect(planConvergence([app({ instances: 1, revision: 4 })], [newer, running], now).stop).toEqual([
      { instanceId: newer.id, cellId: "c1", command: true, reason: "superseded" },
    ]);
  });

  it("rolls a new revision or a restart the same way", () => {
    const oldRevision = inst({ revision: 1 });
    expect(planConvergence([app({ instances: 1 })], [oldRevision], now).create).toHaveLength(1);
    const beforeRestart = inst();
    expect(
      planConvergence([app({ instances: 1, restartedAt: minutesAgo(1) })], [beforeRestart], now).create,
    ).toHaveLength(1);
  });

  it("restarts crashed instances per the backoff and gives up at 200 crashes", () => {
    const crashed = (crashCount: number, sinceMinutes: number) =>
      inst({ state: "CRASHED", crashCount, since: minutesAgo(sinceMinutes) });
    const third = crashed(3, 0);
    expect(planConvergence([app({ instances: 1 })], [third], now)).toMatchObject({
      create: [{ index: 0, crashCount: 3 }],
      stop: [{ instanceId: third.id, reason: "restarting after crash" }],
    });
    expect(planConvergence([app({ instances: 1 })], [crashed(4, 0.4)], now).create).toEqual([]);
    expect(planConvergence([app({ instances: 1 })], [crashed(4, 0.6)], now).create).toHaveLength(1);
    expect(planConvergence([app({ instances: 1 })], [crashed(200, 600)], now)).toMatchObject({
      create: [],
      stop: [],
    });
  });

  it("resets the crash count after five minutes of running", () => {
    const healthy = inst({ crashCount: 5, since: minutesAgo(6) });
    expect(planConvergence([app({ instances: 1 })], [healthy], now).resetCrashCount).toEqual([healthy.id]);
    expect(
      planConvergence([app({ instances: 1 })], [inst({ crashCount: 5, since: minutesAgo(4) })], now)
        .resetCrashCount,
    ).toEqual([]);
  });

  it("stops duplicate current instances of one index and instances of deleted apps", () => {
    const older = inst({ createdAt: minutesAgo(5) });
    const newer = inst({ createdAt: minutesAgo(1) });
    const orphan = inst({ appId: "gone" });
    const plan = planConvergence([app({ instances: 1 })], [older, newer, orphan], now);
    expect(plan.stop.map((s) => [s.instanceId, s.reason])).toEqual([
      [older.id, "duplicate"],
      [orphan.id, "app deleted"],
    ]);
  });

  it("stops, then starts, an app of a single-writer volume: never two instances at once", () => {
    const single = app({ instances: 1, singleWriter: true });
    // a new revision: the old instance stops this round, the new one is made the next
    const old = inst({ revision: 1 });
    const first = planConvergence([single], [old], now);
    expect(first.stop.map((s) => s.instanceId)).toEqual([old.id]);
    expect(first.create).toEqual([]);
    expect(first.deferred).toEqual(["app"]);
    expect(planConvergence([single], [], now).create).toHaveLength(1);
    // a crash: the crashed instance is stopped, its replacement waits a round
    const crashed = inst({ state: "CRASHED", crashCount: 1, since: minutesAgo(1) });
    const restart = planConvergence([single], [crashed], now);
    expect(restart.stop.map((s) => s.instanceId)).toEqual([crashed.id]);
    expect(restart.create).toEqual([]);
    // other apps still start the replacement first
    const plain = planConvergence([app({ instances: 1 })], [inst({ revision: 1 })], now);
    expect(plain.stop).toEqual([]);
    expect(plain.create).toHaveLength(1);
  });

  it("stops an instance on a draining cell holding its volume's data before its replacement (the data moves once nothing mounts it)", () => {
    const onData = inst({ cellId: "c1", cellState: "draining" });
    const shared = planConvergence([app({ instances: 1, volumeCellId: "c1" })], [onData], now);
    expect(shared.stop.map((s) => s.instanceId)).toEqual([onData.id]);
    expect(shared.create).toHaveLength(1);
    const single = planConvergence(
      [app({ instances: 1, volumeCellId: "c1", singleWriter: true })],
      [onData],
      now,
    );
    expect(single.stop.map((s) => s.instanceId)).toEqual([onData.id]);
    expect(single).toMatchObject({ create: [], deferred: [single.deferred[0]] });
    // data elsewhere: the usual evacuation, the replacement first
    const elsewhere = planConvergence([app({ instances: 1, volumeCellId: "c2" })], [onData], now);
    expect(elsewhere).toMatchObject({ stop: [] });
    expect(elsewhere.create).toHaveLength(1);
  });

  it("in slices, makes the same plan and lets other work run before it is done", async () => {
    // apps of every kind: scaled down, missing indexes, crashed, stopped, and orphans of a deleted app
    const apps = Array.from({ length: 300 }, (_, i) =>
      app({ id: `a${i}`, instances: i % 4, state: i % 7 === 0 ? "stopped" : "started" }),
    );
    const instances = Array.from({ length: 900 }, (_, i) =>
      inst({
        appId: `a${i % 310}`,
        index: i % 3,
        state: i % 5 === 0 ? "CRASHED" : "RUNNING",
        cellState: i % 11 === 0 ? "lost" : "active",
        since: minutesAgo(i % 20),
      }),
    );
    let other = false;
    setImmediate(() => {
      other = true;
    });
    let otherBeforeDone = false;
    const sliced = planConvergenceInSlices(apps, instances, now, 0).then((plan) => {
      otherBeforeDone = other;
      return plan;
    });
    expect(await sliced).toEqual(planConvergence(apps, instances, now));
    expect(otherBeforeDone).toBe(true);
  });
});
