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
    const deps = {
      garden: { destroy: async () => {}, create: async () => container },
      bits: { layer: async () => "/bits" },
      events: { publish: (event: { state: string; reason?: string }) => events.push(event) },
      cellAddress: "10.0.0.1",
      stackLayers: async () => [],
      openCredentials: () => ({ username: "", password: "" }),
      shipLogs: () => () => 0,
      logNotice: () => {},
      volumes: { ensure: async () => "/v" },
      log: pino({ level: "silent" }),
    } as unknown as InstanceManagerDeps;
    const instances = new InstanceManager(deps);
    const spec = StartInstance.parse({
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
    await instances.start(spec);
    await expect.poll(() => events.map((e) => e.state)).toContain("RUNNING");
    gone.monitorGone();
    await expect.poll(() => events.map((e) => e.state), { timeout: 5_000 }).toContain("CRASHED");
    expect(events.find((e) => e.state === "CRASHED")?.reason).toBe("exited");
    // a rejection is reported unhandled after a turn of the event loop
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });
});
