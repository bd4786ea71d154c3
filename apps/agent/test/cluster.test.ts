import { join } from "node:path";
import { tarOf } from "@grove/api/testing";
import { describeWith, it, makeTempDir, runId } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { apiProcess } from "./api-process";
import { type CellProcess, cellProcess } from "./cell-process";
import {
  eventually,
  expectStatus,
  gardenGet,
  httpGet,
  killAppProcesses,
  metricSum,
  spread,
  startCluster,
} from "./cluster-harness";

describeWith(["root", "runc", "postgres", "nats", "network"], "a cluster of two real cells", () => {
  // each case starts real cells (and one an api process): minutes on a loaded CI machine
  it("places 4 instances 2/2, serves them directly and through the router, keeps them across an agent kill -9, and stops routing at once on delete", async ({
    pg,
    nats,
  }) => {
    const c = await startCluster(pg, nats);
    const status = async (path: string) => {
      const answers = [];
      for (const cell of c.cells) answers.push(await httpGet(cell.statusPort as number, undefined, path));
      return answers;
    };
    // start commands taken: batches (start-instances) to these agents, which advertise them
    const starts = async () =>
      (await status("/metrics")).reduce(
        (sum, { body }) =>
          sum +
          metricSum(body, "grove_agent_commands_total", { type: "start-instance", outcome: "ok" }) +
          metricSum(body, "grove_agent_commands_total", { type: "start-instances", outcome: "ok" }),
        0,
      );
    expect(await starts()).toBe(0);
    await c.pushWeb("web", 4);
    const instances = await c.running("web", 4);
    expect(Object.values(spread(instances))).toEqual([2, 2]);
    // each agent's status port: live, ready (joined, NATS up), and its metrics count the starts
    expect(await status("/livez")).toEqual([
      { status: 200, body: "ok\n" },
      { status: 200, body: "ok\n" },
    ]);
    expect(await status("/readyz")).toEqual([
      { status: 200, body: "ok\n" },
      { status: 200, body: "ok\n" },
    ]);
    expect(await starts()).toBeGreaterThanOrEqual(2);
    for (const { body } of await status("/metrics")) {
      expect(metricSum(body, "grove_agent_instances", { state: "RUNNING" })).toBe(2);
      expect(metricSum(body, "grove_agent_containers")).toBe(2);
      expect(metricSum(body, "grove_agent_nats_connected")).toBe(1);
      expect(metricSum(body, "grove_agent_heartbeats_total", { outcome: "sent" })).toBeGreaterThan(0);
      expect(
        metricSum(body, "grove_agent_command_duration_seconds_count", { type: "start-instance" }) +
          metricSum(body, "grove_agent_command_duration_seconds_count", { type: "start-instances" }),
      ).toBeGreaterThanOrEqual(1);
      expect(metricSum(body, "grove_process_resident_memory_bytes")).toBeGreaterThan(0);
    }
    for (const i of instances) {
      expect(await httpGet(i.ports[0]?.host_port as number)).toEqual({
        status: 200,
        body: "hello from grove\n",
      });
    }
    const handles = new Set<string>();
    for (const cell of c.cells) {
      const listed = await gardenGet(join(cell.stateDir, "garden.sock"), "/containers");
      expect(listed.status).toBe(200);
      for (const handle of (JSON.parse(listed.body) as { Handles: string[] }).Handles) handles.add(handle);
    }
    expect(handles).toEqual(new Set(instances.map((i) => i.id)));
    await eventually(async () =>
      (await httpGet(c.router.port, "web.default.grove.localhost")).status === 200 ? true : undefined,
    );

    const before = new Set(instances.map((i) => `${i.id}@${i.cell?.name}:${i.ports[0]?.host_port}`));
    const victim = c.cells[0];
    await victim?.kill("SIGKILL");
    await victim?.start();
    expect(victim?.logs.some((line) => line.includes('"re-adopted running instances"'))).toBe(true);
    const after = await c.running("web", 4, 30_000);
    expect(new Set(after.map((i) => `${i.id}@${i.cell?.name}:${i.ports[0]?.host_port}`))).toEqual(before);
    expect(after.every((i) => i.crash_count === 0)).toBe(true);
    for (const i of after) expect((await httpGet(i.ports[0]?.host_port as number)).status).toBe(200);

    // the control plane, not the cells, holds the routes: a delete withdraws them before it answers
    expect((await c.call("/v1/apps/web", { method: "DELETE" })).status).toBe(204);
    await eventually(
      async () =>
        (await httpGet(c.router.port, "web.default.grove.localhost")).status === 404 ? true : undefined,
      1_000,
      "404 through the router within 1 s of the delete",
    );
  }, 180_000);

  it("restarts an instance whose process is killed inside its container", async ({ pg, nats }) => {
    const c = await startCluster(pg, nats);
    await c.pushWeb("crashy", 1);
    const [first] = await c.running("crashy", 1);
    const cell = c.cells.find((x) => x.name === first?.cell?.name);
    expect(await killAppProcesses(cell as CellProcess, first?.id as string)).toBeGreaterThan(0);
    const replacement = await eventually(async () => {
      const up = (await c.instances("crashy")).filter((i) => i.state === "RUNNING" && i.id !== first?.id);
      return up.length === 1 ? up[0] : undefined;
    }, 30_000);
    expect((await httpGet(replacement?.ports[0]?.host_port as number)).status).toBe(200);
    const events = (await expectStatus(await c.call("/v1/apps/crashy/events"), 200)) as { items: unknown[] };
    expect(JSON.stringify(events.items)).toMatch(/crash/i);
  }, 180_000);

  it("replaces the instances of a cell that stops heartbeating, then drains a cell with no moment below the desired count", async ({
    pg,
    nats,
  }) => {
    const c = await startCluster(pg, nats, { presenceTtlMs: 3_000 });
    await c.pushWeb("web", 2);
    const initial = await c.running("web", 2);
    expect(Object.values(spread(initial))).toEqual([1, 1]);
    const [silent, other] = c.cells;
    silent?.child.kill("SIGSTOP");
    try {
      const started = Date.now();
      const moved = await eventually(async () => {
        const up = (await c.instances("web")).filter(
          (i) => i.state === "RUNNING" && i.cell?.name === other?.name,
        );
        return up.length === 2 ? up : undefined;
      }, 30_000);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(moved).toHaveLength(2);
    } finally {
      silent?.child.kill("SIGCONT");
    }
    // the returning cell's duplicate is stopped, so the desired count holds
    await eventually(async () => {
      const all = await c.instances("web");
      const running = all.filter((i) => i.state === "RUNNING");
      return running.length === 2 && running.every((i) => i.cell?.name === other?.name) ? true : undefined;
    }, 30_000);

    const cellsList = (await expectStatus(await c.call("/v1/cells"), 200)) as {
      items: { id: string; name: string }[];
    };
    const drained = cellsList.items.find((x) => x.name === other?.name);
    await expectStatus(await c.call(`/v1/cells/${drained?.id}/drain`, { method: "POST" }), 200);
    let lowest = Number.POSITIVE_INFINITY;
    await eventually(async () => {
      const running = (await c.instances("web")).filter((i) => i.state === "RUNNING");
      lowest = Math.min(lowest, running.length);
      return running.length === 2 && running.every((i) => i.cell?.name === silent?.name) ? true : undefined;
    }, 60_000);
    expect(lowest).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it("finishes a scale accepted just before the api was killed with -9", async ({ pg, nats }) => {
    const c = await startCluster(pg, nats);
    await c.t.api.stop(); // hand the cluster over to an api running as its own process
    const api = await apiProcess({ databaseUrl: c.t.config.DATABASE_URL, natsEnv: nats.env("api") });
    onTestFinished(() => api.kill("SIGTERM"));
    await expectStatus(
      await api.call("/v1/apps", {
        method: "POST",
        json: { name: "web", command: "httpd -f -p $PORT -h /home/vcap/app", instances: 1, memory_mb: 64 },
      }),
      201,
    );
    const bits = await tarOf({ "index.html": "hello from grove\n" });
    await expectStatus(await api.call("/v1/apps/web/bits", { method: "PUT", body: bits }), 200);
    await c.running("web", 1);
    await expectStatus(await api.call("/v1/apps/web", { method: "PATCH", json: { instances: 3 } }), 200);
    await api.kill("SIGKILL");
    await api.start();
    const running = await c.running("web", 3, 120_000);
    expect(new Set(running.map((i) => i.index))).toEqual(new Set([0, 1, 2]));
  }, 180_000);

  it("stops instances whose starts wait in the cell's start lane: STOPPED, none crashed, no container left", async ({
    pg,
    nats,
  }) => {
    // one container made at a time: of 10 starts, the later ones wait in the lane when the stop comes
    const c = await startCluster(pg, nats, { cellCount: 1, cellEnv: { GROVE_STARTS_AT_ONCE: "1" } });
    const [cell] = c.cells as [CellProcess];
    await c.pushWeb("lane", 10);
    await eventually(async () =>
      (await c.instances("lane")).some((i) => i.state === "RUNNING") ? true : undefined,
    );
    await expectStatus(await c.call("/v1/apps/lane", { method: "PATCH", json: { instances: 0 } }), 200);
    await eventually(async () =>
      (await c.instances("lane")).every((i) => i.state === "STOPPED") ? true : undefined,
    );
    // the stop overtook at least one start before its container was made. The api marks stopped
    // instances STOPPED at once; the agent gives up the waiting starts only once the start in the
    // lane made its container, so its log is awaited, and only then is the listing final.
    await eventually(
      async () => (cell.logs.some((line) => line.includes('"start given up for a stop"')) ? true : undefined),
      60_000,
      "the agent's log of a start given up for a stop",
    );
    const socket = join(cell.stateDir, "garden.sock");
    await eventually(async () => {
      const listed = JSON.parse((await gardenGet(socket, "/containers")).body) as { Handles: string[] };
      return listed.Handles.length === 0 ? true : undefined;
    }, 60_000);
    const events = (await expectStatus(await c.call("/v1/apps/lane/events"), 200)) as { items: unknown[] };
    expect(JSON.stringify(events.items)).not.toMatch(/crash/i);
  }, 180_000);

  it("takes a batch of starts at once on a real cell and runs them all", async ({ pg, nats }) => {
    const c = await startCluster(pg, nats, { cellCount: 1 });
    const [cell] = c.cells as [CellProcess];
    await c.pushWeb("batch", 4);
    const running = await c.running("batch", 4);
    expect(new Set(running.map((i) => i.index))).toEqual(new Set([0, 1, 2, 3]));
    for (const i of running)
      expect(await httpGet(i.ports[0]?.host_port as number)).toEqual({
        status: 200,
        body: "hello from grove\n",
      });
    // the agent advertises batches: its starts came in start-instances commands, no single ones
    const { body } = await httpGet(cell.statusPort as number, undefined, "/metrics");
    expect(
      metricSum(body, "grove_agent_commands_total", { type: "start-instances", outcome: "ok" }),
    ).toBeGreaterThanOrEqual(1);
    expect(metricSum(body, "grove_agent_commands_total", { type: "start-instance" })).toBe(0);
    expect(metricSum(body, "grove_agent_instances", { state: "RUNNING" })).toBe(4);
  }, 180_000);

  it("refuses to join with a bad token and says why", async ({ pg, nats }) => {
    await startCluster(pg, nats, { cellCount: 0 }); // an api to refuse the join
    const dir = await makeTempDir("gc-");
    const cell = cellProcess({
      name: `gc${runId}x`,
      stateDir: dir.path,
      natsEnv: nats.env("join"),
      joinToken: "not-a-valid-join-token",
    });
    try {
      await expect(cell.start()).rejects.toThrow(/join refused|invalid-join-token/);
    } finally {
      await cell.remove();
      await dir.remove();
    }
  });
});
