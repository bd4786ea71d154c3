import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { HealthCheck, StartInstance } from "@grove/protocol";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InstanceManager, type InstanceManagerDeps } from "./instances";

// a process whose monitor went away without an exit status (as on a full disk): its wait() rejects
function goneProcess() {
  let fail: (error: Error) => void = () => {};
  const waited = new Promise<number>((_resolve, reject) => {
    fail = reject;
  });
  return {
    process: {
      id: randomUUID(),
      wait: () => waited,
      signal: async () => {},
      stdout: () => Readable.from([]),
      stderr: () => Readable.from([]),
    },
    monitorGone: () => fail(new Error("the monitor of process p is gone; its exit status is unknown")),
  };
}

/** a promise the test settles */
function gate<T = void>() {
  let open: (value: T) => void = () => {};
  const opened = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

function startSpec() {
  return StartInstance.parse({
    type: "start-instance",
    instanceId: randomUUID(),
    appId: randomUUID(),
    tenantId: randomUUID(),
    revision: 1,
    index: 0,
    bitsDigest: `sha256:${"a".repeat(64)}`,
    stack: "busybox",
    command: "sleep 1000",
    env: {},
    memoryMb: 32,
    diskMb: 64,
    ports: [],
    healthCheck: HealthCheck.parse({ type: "process" }),
  });
}

/** An instance manager's deps: `parts` (garden, bits, events…) over inert defaults. */
function fakeDeps(parts: Record<string, unknown>): InstanceManagerDeps {
  return {
    cellAddress: "10.0.0.1",
    stackLayers: async () => [],
    openCredentials: () => ({ username: "", password: "" }),
    shipLogs: () => () => 0,
    logNotice: () => {},
    volumes: { ensure: async () => "/v" },
    log: pino({ level: "silent" }),
    ...parts,
  } as unknown as InstanceManagerDeps;
}

/**
 * A cell whose garden the test steers: `creating`/`destroying`/`fetching` hold a create, destroy
 * or bits fetch until opened; it records what was made and destroyed and what is live at once.
 */
function steeredCell(options: { startsAtOnce?: number; teardownsAtOnce?: number } = {}) {
  const events: { instanceId: string; state: string; reason?: string }[] = [];
  const live = new Set<string>();
  const made: string[] = [];
  const destroyed: string[] = [];
  const cell = {
    events,
    live,
    made,
    destroyed,
    creating: undefined as Promise<void> | undefined,
    destroying: undefined as Promise<void> | undefined,
    fetching: undefined as Promise<void> | undefined,
    creatingNow: 0,
    mostCreatingAtOnce: 0,
    statesOf: (id: string) => events.filter((e) => e.instanceId === id).map((e) => e.state),
  };
  const process = () => {
    const exit = gate<number>();
    return {
      id: randomUUID(),
      wait: () => exit.opened,
      signal: async (signal: string) => exit.open(signal === "kill" ? 137 : 143),
      stdout: () => Readable.from([]),
      stderr: () => Readable.from([]),
    };
  };
  const deps = {
    garden: {
      destroy: async (handle: string) => {
        if (!live.has(handle)) return;
        await cell.destroying;
        live.delete(handle);
        destroyed.push(handle);
      },
      create: async (spec: { handle: string }) => {
        cell.creatingNow += 1;
        cell.mostCreatingAtOnce = Math.max(cell.mostCreatingAtOnce, cell.creatingNow);
        try {
          await cell.creating;
        } finally {
          cell.creatingNow -= 1;
        }
        live.add(spec.handle);
        made.push(spec.handle);
        return {
          handle: spec.handle,
          info: async () => ({ containerIP: "10.0.0.2", mappedPorts: [], events: [] }),
          run: async () => process(),
          setProperty: async () => {},
        };
      },
    },
    bits: {
      layer: async () => {
        await cell.fetching;
        return "/bits";
      },
    },
    events: { publish: (event: { instanceId: string; state: string }) => events.push(event) },
    ...options,
  };
  return { cell, instances: new InstanceManager(fakeDeps(deps)) };
}

describe("InstanceManager", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  it("counts an instance whose monitor is gone without an exit status as exited, leaving no rejection unhandled", async () => {
    const gone = goneProcess();
    const events: { state: string; reason?: string }[] = [];
    const container = {
      handle: "h",
      info: async () => ({ containerIP: "10.0.0.2", mappedPorts: [], events: [] }),
      run: async () => gone.process,
      setProperty: async () => {},
    };
    const instances = new InstanceManager(
      fakeDeps({
        garden: { destroy: async () => {}, create: async () => container },
        bits: { layer: async () => "/bits" },
        events: { publish: (event: { state: string; reason?: string }) => events.push(event) },
      }),
    );
    const spec = startSpec();
    await instances.start(spec);
    await expect.poll(() => events.map((e) => e.state)).toContain("RUNNING");
    gone.monitorGone();
    await expect.poll(() => events.map((e) => e.state), { timeout: 5_000 }).toContain("CRASHED");
    expect(events.find((e) => e.state === "CRASHED")?.reason).toBe("exited");
    // a rejection is reported unhandled after a turn of the event loop
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });

  it("reports a stop that overtook a start inside garden's create as STOPPED, not CRASHED, and leaves no container", async () => {
    const { cell, instances } = steeredCell();
    const creating = gate();
    cell.creating = creating.opened;
    const spec = startSpec();
    const started = instances.start(spec);
    await expect.poll(() => cell.creatingNow).toBe(1);
    const stopped = instances.stop({ type: "stop-instance", instanceId: spec.instanceId, graceMs: 10_000 });
    creating.open();
    await expect(started).resolves.toEqual({ duplicate: false });
    await expect(stopped).resolves.toEqual({ duplicate: false });
    expect(cell.statesOf(spec.instanceId)).toEqual(["STARTING", "STOPPED"]);
    expect(cell.made).toEqual([spec.instanceId]);
    expect(cell.live.size).toBe(0);
    expect(instances.details()).toEqual([]);
    expect(instances.used().containers).toBe(0);
  });

  it("makes no container for an instance stopped while its bits were fetched", async () => {
    const { cell, instances } = steeredCell();
    const fetching = gate();
    cell.fetching = fetching.opened;
    const spec = startSpec();
    const started = instances.start(spec);
    const stopped = instances.stop({ type: "stop-instance", instanceId: spec.instanceId, graceMs: 10_000 });
    fetching.open();
    await expect(started).resolves.toEqual({ duplicate: false });
    await expect(stopped).resolves.toEqual({ duplicate: false });
    expect(cell.statesOf(spec.instanceId)).toEqual(["STARTING", "STOPPED"]);
    expect(cell.made).toEqual([]);
  });

  it("tears a stopped instance's container down while starts wait for theirs, and bounds the starts", async () => {
    const { cell, instances } = steeredCell({ startsAtOnce: 1, teardownsAtOnce: 1 });
    const running = startSpec();
    await instances.start(running);
    await expect.poll(() => cell.statesOf(running.instanceId)).toContain("RUNNING");
    const creating = gate();
    cell.creating = creating.opened;
    const waiting = [startSpec(), startSpec(), startSpec()];
    const starts = waiting.map((spec) => instances.start(spec));
    await expect.poll(() => cell.creatingNow).toBe(1);
    expect(instances.queued().starts).toBe(2);
    // the stop's teardown is not queued behind the starts
    await instances.stop({ type: "stop-instance", instanceId: running.instanceId, graceMs: 10_000 });
    expect(cell.destroyed).toEqual([running.instanceId]);
    expect(cell.statesOf(running.instanceId)).toEqual(["STARTING", "RUNNING", "STOPPED"]);
    expect(cell.made).toEqual([running.instanceId]);
    creating.open();
    await Promise.all(starts);
    expect(cell.mostCreatingAtOnce).toBe(1);
    expect(cell.made).toHaveLength(4);
  });

  it("reports STOPPED once the processes are dead and counts the container until its teardown ends", async () => {
    const { cell, instances } = steeredCell();
    const spec = startSpec();
    await instances.start(spec);
    await expect.poll(() => cell.statesOf(spec.instanceId)).toContain("RUNNING");
    const destroying = gate();
    cell.destroying = destroying.opened;
    const stopped = instances.stop({ type: "stop-instance", instanceId: spec.instanceId, graceMs: 10_000 });
    await expect.poll(() => cell.statesOf(spec.instanceId)).toContain("STOPPED");
    expect(instances.details()).toEqual([]);
    expect(instances.used()).toEqual({ memoryMb: 32, diskMb: 64, containers: 1 });
    // a repeated stop (its reply was late) waits for the same teardown
    const again = instances.stop({ type: "stop-instance", instanceId: spec.instanceId, graceMs: 10_000 });
    destroying.open();
    await expect(stopped).resolves.toEqual({ duplicate: false });
    await expect(again).resolves.toEqual({ duplicate: true });
    expect(instances.used().containers).toBe(0);
    expect(cell.live.size).toBe(0);
  });

  it("takes a batch of starts at once: STARTING before any container, a refusal only for the one that cannot start", async () => {
    const { cell, instances } = steeredCell({ startsAtOnce: 1 });
    const creating = gate();
    cell.creating = creating.opened;
    const batch = [startSpec(), startSpec(), startSpec()];
    const other = { ...startSpec(), instanceId: batch[0]?.instanceId as string, revision: 2 };
    // the first of the batch is repeated in it (a duplicate) and named again at another revision
    const taken = instances.startMany([...batch, batch[0] as StartInstance, other]);
    expect(taken.refused).toEqual([
      {
        instanceId: other.instanceId,
        error: `instance ${other.instanceId} already runs revision 1; stop it first`,
      },
    ]);
    // answered before any container was made; each reported STARTING
    expect(cell.made).toEqual([]);
    for (const spec of batch) expect(cell.statesOf(spec.instanceId)).toEqual(["STARTING"]);
    creating.open();
    await expect
      .poll(() => batch.map((spec) => cell.statesOf(spec.instanceId).at(-1)))
      .toEqual(["RUNNING", "RUNNING", "RUNNING"]);
    expect(cell.made).toHaveLength(3);
    // still one container made at a time
    expect(cell.mostCreatingAtOnce).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });

  it("crashes a batched start that fails, with its reason, and refuses a batch once stopping", async () => {
    const { cell, instances } = steeredCell();
    const spec = { ...startSpec(), stack: "unknown" };
    const failing = new InstanceManager(
      fakeDeps({
        garden: { destroy: async () => {}, create: async () => ({}) },
        bits: { layer: async () => "/bits" },
        stackLayers: async (stack: string) => {
          throw new Error(`no stack ${stack}`);
        },
        events: {
          publish: (event: { instanceId: string; state: string; reason?: string }) => cell.events.push(event),
        },
      }),
    );
    expect(failing.startMany([spec]).refused).toEqual([]);
    await expect.poll(() => cell.statesOf(spec.instanceId)).toEqual(["STARTING", "CRASHED"]);
    expect(cell.events.at(-1)?.reason).toBe("start-failed: no stack unknown");
    await instances.close();
    const late = startSpec();
    expect(instances.startMany([late]).refused).toEqual([
      { instanceId: late.instanceId, error: "the agent is stopping" },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });
});
