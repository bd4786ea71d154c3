import { rm } from "node:fs/promises";
import { jetstreamManager } from "@nats-io/jetstream";
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
  /** NATS's servers (`TestNats.ports.length`): a cluster is also restarted one server at a time */
  natsNodes?: number;
}): Scenario[] {
  const natsCluster = (options.natsNodes ?? 1) > 1;
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
        // a kill of an empty cell would drill nothing: wait (a while) for the load to place some there
        await timeUntil(async () => (await c.containers(cell)) > 0, 60_000);
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
    ...(natsCluster
      ? [
          {
            // a rolling restart: each server back and caught up (/healthz) before the next goes
            name: "restart NATS one node at a time",
            async fault(c: DrillCluster, extra: DrillResult["extra"]) {
              for (const [node] of c.nats.ports.entries()) {
                const started = Date.now();
                await c.nats.restartNode(node);
                extra[`node${node}Back`] = Date.now() - started;
              }
              extra.streamsWhole = await streamReplicas(c);
            },
          },
        ]
      : []),
    {
      name: natsCluster ? "restart NATS all nodes at once" : "restart NATS",
      async fault(c, extra) {
        const started = Date.now();
        await c.nats.restart();
        if (natsCluster) {
          extra.clusterBack = Date.now() - started;
          extra.streamsWhole = await streamReplicas(c);
        }
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
        // each index RUNNING on the cell must run elsewhere again (unless scaled away meanwhile); the
        // load's pushes may replace it by a newer revision, which counts as well
        // a cell with nothing RUNNING would drill nothing: wait (a while) for the load to place some there
        let lostIndexes: { app: string; index: number }[] = [];
        await timeUntil(async () => {
          lostIndexes = await indexesOn(c, cell.name);
          return lostIndexes.length > 0;
        }, 60_000);
        extra.indexesOnCell = String(lostIndexes.length);
        await c.partition(cell);
        await cell.kill("SIGKILL");
        const start = Date.now();
        let shownLost: number | undefined;
        // ms from the loss until each index ran elsewhere (an index scaled away meanwhile is done:
        // scaled up again later it is a new start, not the loss's recovery)
        const back = new Map<string, number | "scaled away">();
        const moved = await timeUntil(async () => {
          // when the api showed the cell lost: the rest of the time is the replacements' start
          shownLost ??= (await cellState(c, cell.name)) === "lost" ? Date.now() - start : undefined;
          // an index a push moved elsewhere before the loss counts from the loss, not before it
          if (shownLost === undefined) return false;
          for (const { app, index } of lostIndexes) {
            const key = `${app}/${index}`;
            if (back.has(key)) continue;
            const shown = (await (await c.call(`/v1/apps/${app}`)).json()) as { instances: number };
            if (index >= shown.instances) {
              back.set(key, "scaled away");
              continue;
            }
            const rows = await rowsOf(c, app);
            const up = (r: Row) => r.state === "RUNNING" && r.index === index && r.cell?.name !== cell.name;
            if (rows.some(up)) back.set(key, Date.now() - start);
          }
          return back.size === lostIndexes.length;
        }, 120_000);
        extra.shownLost = shownLost ?? "never";
        const times = [...back.values()].filter((v) => typeof v === "number");
        // the last index back; "scaled away" when the load scaled every one away before it was back
        extra.runningElsewhere =
          moved === undefined ? "never" : times.length > 0 ? Math.max(...times) : "scaled away";
        // each index's time, so one pushed or slow start shows apart from the rest
        extra.perIndex = [...back.values()]
          .map((v) => (typeof v === "number" ? `${(v / 1000).toFixed(1)}s` : v))
          .join(",");
      },
    },
  ];
}

/**
 * "k/n": of the n streams, k have a copy on every server, each current (a leader and caught-up
 * followers), as the api's GROVE_JETSTREAM_REPLICAS asked; awaited (up to 30 s) until k is n.
 */
async function streamReplicas(c: DrillCluster): Promise<string> {
  const nc = await c.nats.connect("api");
  try {
    const jsm = await jetstreamManager(nc);
    const nodes = c.nats.ports.length;
    let found = "none listed";
    await timeUntil(async () => {
      let whole = 0;
      let total = 0;
      for await (const info of jsm.streams.list()) {
        total++;
        const followers = (info.cluster?.replicas ?? []).filter((r) => r.current).length;
        if (info.config.num_replicas === nodes && info.cluster?.leader && followers === nodes - 1) whole++;
      }
      found = `${whole}/${total}`;
      return total > 0 && whole === total;
    }, 30_000);
    return found;
  } finally {
    await nc.close();
  }
}

interface Row {
  index: number;
  state: string;
  cell: { name: string } | null;
}

async function rowsOf(c: DrillCluster, app: string): Promise<Row[]> {
  const response = await c.call(`/v1/apps/${app}/instances`);
  if (!response.ok) throw new Error(`instances of ${app}: ${response.status}`);
  return ((await response.json()) as { items: Row[] }).items;
}

/** The apps' indexes RUNNING on `cell` (each must come back on another cell). */
async function indexesOn(c: DrillCluster, cell: string): Promise<{ app: string; index: number }[]> {
  const list = (await (await c.call("/v1/apps")).json()) as { items: { name: string }[] };
  // each index once: during a push an index runs there in two revisions for a moment, and the
  // recovery is counted per index (a duplicate was never "back" and timed the drill out)
  const found = new Map<string, { app: string; index: number }>();
  for (const { name } of list.items) {
    for (const row of await rowsOf(c, name))
      if (row.state === "RUNNING" && row.cell?.name === cell)
        found.set(`${name}/${row.index}`, { app: name, index: row.index });
  }
  return [...found.values()];
}

/** The cell's state as the api shows it (undefined when the api does not answer). */
async function cellState(c: DrillCluster, name: string): Promise<string | undefined> {
  const response = await c.call("/v1/cells").catch(() => undefined);
  if (!response?.ok) {
    await response?.body?.cancel();
    return undefined;
  }
  const { items } = (await response.json()) as { items: { name: string; state: string }[] };
  return items.find((x) => x.name === name)?.state;
}

/** Watches `cell` for `ms`: true if the api showed it lost (or its agent exited) meanwhile. */
async function watchCell(c: DrillCluster, cell: CellProcess, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (cell.child.exitCode !== null || cell.child.signalCode !== null) return true;
    if ((await cellState(c, cell.name)) === "lost") return true;
    await sleep(500);
  }
  return false;
}
