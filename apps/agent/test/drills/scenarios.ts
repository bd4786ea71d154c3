import type { CellProcess } from "../cell-process";
import { type DrillCluster, type DrillResult, sleep, timeUntil } from "./drill-cluster";

/** One fault: injected by `fault`, which records its own figures in `extra` (ms for times). */
export interface Scenario {
  name: string;
  fault(cluster: DrillCluster, extra: DrillResult["extra"]): Promise<void>;
}

/** The drills, in the order they run on one cluster (the cell-lost drill leaves its cell lost). */
export function scenarios(options: { partitionMs: number }): Scenario[] {
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
        await cell.kill("SIGKILL");
        await cell.start();
        extra.readopted = cell.logs
          .slice(before)
          .some((line) => line.includes('"re-adopted running instances"'));
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
