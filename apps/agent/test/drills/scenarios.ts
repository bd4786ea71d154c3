import { rm } from "node:fs/promises";
import type { CellProcess } from "../cell-process";
import { type DrillCluster, type DrillResult, fillDisk, sleep, timeUntil } from "./drill-cluster";

/** One fault: injected by `fault`, which records its own figures in `extra` (ms for times). */
export interface Scenario {
  name: string;
  fault(cluster: DrillCluster, extra: DrillResult["extra"]): Promise<void>;
}

/** The drills, in the order they run on one cluster (the cell-lost drill leaves its cell lost). */
export function scenarios(options: {
  partitionMs: number;
  /** how long a filled disk or a skewed clock lasts (the cell must not be lost meanwhile) */
  holdMs: number;
}): Scenario[] {
  return [
    {
      name: "kill -9 leader api",
      async fault(c, extra) {
        const leader = await c.leader();
        if (!leader) throw new Error("no replica leads");
        await leader.kill("SIGKILL");
        const takeover = await timeUntil(async () => {
          const now = await c.leader();
          return now !== undefined && now !== leader;
        }, 30_000);
        extra.takeover = takeover ?? "never";
        await leader.start();
      },
    },
    {
      name: "kill -9 non-leader api",
      async fault(c) {
        const leader = await c.leader();
        const follower = c.apis.find((api) => api !== leader);
        if (!follower) throw new Error("no follower replica");
        await follower.kill("SIGKILL");
        await sleep(1_000);
        await follower.start();
      },
    },
    {
      name: "kill -9 agent",
      async fault(c, extra) {
        const cell = c.cells[0] as CellProcess;
        const before = cell.logs.length;
        const held = await c.containers(cell);
        await cell.kill("SIGKILL");
        await cell.start();
        extra.containersAtKill = String(held);
        // with no container at the kill there is nothing to take up
        extra.readopted =
          held === 0 ||
          cell.logs.slice(before).some((line) => line.includes('"re-adopted running instances"'));
      },
    },
    {
      name: "kill -9 router",
      async fault(c, extra) {
        await c.router.kill("SIGKILL");
        const started = Date.now();
        await c.router.start();
        extra.routerUp = Date.now() - started;
      },
    },
    {
      name: "restart NATS",
      async fault(c) {
        await c.nats.restart();
      },
    },
    {
      name: "restart Postgres",
      async fault(c) {
        await c.pg.restart();
      },
    },
    {
      name: `partition a cell ${options.partitionMs / 1000} s`,
      async fault(c, extra) {
        const cell = c.cells[1] as CellProcess;
        await c.partition(cell);
        await sleep(options.partitionMs);
        await c.heal(cell);
        extra.healedAt = options.partitionMs;
      },
    },
    {
      // the first cell's state dir is a small filesystem of its own (`smallDiskMb`)
      name: "fill a cell's disk",
      async fault(c, extra) {
        const cell = c.cells[0] as CellProcess;
        const file = await fillDisk(cell.stateDir);
        const lost = await watchCell(c, cell, options.holdMs);
        await rm(file, { force: true });
        extra.lostWhileFull = lost;
        extra.agentUp = cell.child.exitCode === null && cell.child.signalCode === null;
      },
    },
    {
      name: "clock skewed 2 min",
      async fault(c, extra) {
        const cell = c.cells[1] as CellProcess;
        await cell.kill("SIGTERM");
        await cell.start({ clockSkew: "+120s" });
        extra.lostWhileSkewed = await watchCell(c, cell, options.holdMs);
        extra.agentUp = cell.child.exitCode === null && cell.child.signalCode === null;
      },
    },
    {
      name: "cell lost",
      async fault(c, extra) {
        const cell = c.cells[2] as CellProcess;
        const apps = await appsOn(c, cell.name);
        extra.appsOnCell = String(apps.length);
        await c.partition(cell);
        await cell.kill("SIGKILL");
        const moved = await timeUntil(async () => {
          for (const app of apps) {
            const shown = (await (await c.call(`/v1/apps/${app}`)).json()) as { instances: number };
            const rows = await rowsOf(c, app);
            const up = rows.filter((r) => r.state === "RUNNING" && r.cell?.name !== cell.name);
            if (up.length < shown.instances) return false;
          }
          return true;
        }, 120_000);
        extra.runningElsewhere = moved ?? "never";
      },
    },
  ];
}

interface Row {
  state: string;
  cell: { name: string } | null;
}

async function rowsOf(c: DrillCluster, app: string): Promise<Row[]> {
  const response = await c.call(`/v1/apps/${app}/instances`);
  if (!response.ok) throw new Error(`instances of ${app}: ${response.status}`);
  return ((await response.json()) as { items: Row[] }).items;
}

/** Apps with RUNNING instances on `cell` (their desired count must come back on other cells). */
async function appsOn(c: DrillCluster, cell: string): Promise<string[]> {
  const list = (await (await c.call("/v1/apps")).json()) as { items: { name: string }[] };
  const apps: string[] = [];
  for (const { name } of list.items) {
    const rows = await rowsOf(c, name);
    if (rows.some((r) => r.state === "RUNNING" && r.cell?.name === cell)) apps.push(name);
  }
  return apps;
}

/** Watches `cell` for `ms`: true if the api showed it lost (or its agent exited) meanwhile. */
async function watchCell(c: DrillCluster, cell: CellProcess, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (cell.child.exitCode !== null || cell.child.signalCode !== null) return true;
    const response = await c.call("/v1/cells").catch(() => undefined);
    if (response?.ok) {
      const { items } = (await response.json()) as { items: { name: string; state: string }[] };
      if (items.find((x) => x.name === cell.name)?.state === "lost") return true;
    } else await response?.body?.cancel();
    await sleep(500);
  }
  return false;
}
