/**
 * `npm run drill`: fault drills on a real cluster (2 api replicas, 3 cells on netns hosts, the router
 * on another, NATS as a 3-node JetStream cluster; GROVE_DRILL_NATS_NODES=1 for one server) under a steady load of pushes and scales, with the api's default convergence interval
 * and presence TTL (15 s) and a 60 s partition; prints a table (each invariant held or not, the time
 * to recover from each fault's start) and writes bench/results/drill.json. Runs as root.
 * `npm run drill -- <name part>[,<name part>…]` runs only the drills whose name contains one of them.
 * The replicas' and agents' output goes to a temp dir (printed). Ctrl-C (or SIGTERM) removes the
 * cluster's containers, cells and services before exiting.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNats, startPostgres } from "@grove/testkit/services";
import {
  type DrillCluster,
  type DrillResult,
  drillTable,
  Load,
  runDrill,
  startDrillCluster,
} from "../apps/agent/test/drills/drill-cluster";
import { scenarios } from "../apps/agent/test/drills/scenarios";
import { report } from "./lib";

const only = process.argv[2];
const convergenceMs = 5_000;
const presenceTtlMs = 15_000;
/** NATS runs as a 3-node JetStream cluster with every stream on all three (R3), as docker-compose.yml does */
const natsNodes = Number(process.env.GROVE_DRILL_NATS_NODES ?? 3);
const drills = scenarios({ partitionMs: 60_000, holdMs: 30_000, natsNodes }).filter(
  (d) => !only || only.split(",").some((part) => d.name.includes(part)),
);
const logDir = await mkdtemp(join(tmpdir(), "grove-drill-"));
console.log(`logs: ${logDir}`);
const pg = await startPostgres();
const nats = await startNats({ nodes: natsNodes });
let cluster: DrillCluster | undefined;
let load: Load | undefined;
let closing: Promise<void> | undefined;
/** stops the load, then removes the cluster (its containers too) and the services, once */
const teardown = () => {
  closing ??= (async () => {
    await load?.stop(5_000).catch(() => {});
    await cluster?.close().catch((error: unknown) => console.error("cluster cleanup:", error));
    await nats.stop().catch(() => {});
    await pg.stop().catch(() => {});
  })();
  return closing;
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`${signal}: removing the drill cluster`);
    void teardown().finally(() => process.exit(130));
  });
}
const results: DrillResult[] = [];
try {
  cluster = await startDrillCluster(pg, nats, {
    ...{ cells: 3, apis: 2, convergenceMs, presenceTtlMs, logDir },
    smallDiskMb: 1024,
  });
  load = new Load(cluster, { everyMs: 1_000, maxApps: 4, prefix: "d" });
  load.start();
  for (const drill of drills) {
    console.log(`drill: ${drill.name}`);
    const c = cluster;
    const result = await runDrill(c, load, drill.name, (extra) => drill.fault(c, extra), {
      timeoutMs: 120_000,
      settleMs: 5_000,
    });
    results.push(result);
    console.log(drillTable([result]));
  }
  await load.stop(5_000);
  console.log(`\n${drillTable(results)}`);
  report(
    "drill",
    [
      ["drills held", `${results.filter((r) => r.held).length}/${results.length}`],
      ["writes acknowledged", load.writes],
      ["write retries", load.retries],
    ],
    { convergenceMs, presenceTtlMs, natsNodes, results },
  );
  if (results.some((r) => !r.held)) process.exitCode = 1;
} finally {
  await teardown();
}
