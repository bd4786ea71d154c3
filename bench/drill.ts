/**
 * `npm run drill`: fault drills on a real cluster (2 api replicas, 3 cells on netns hosts, the router
 * on another) under a steady load of pushes and scales, with the api's default convergence interval
 * and presence TTL (15 s) and a 60 s partition; prints a table (each invariant held or not, the time
 * to recover from each fault's start) and writes bench/results/drill.json. Runs as root.
 * `npm run drill -- <name part>` runs only the drills whose name contains it.
 */
import { startNats, startPostgres } from "@grove/testkit/services";
import {
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
const drills = scenarios({ partitionMs: 60_000 }).filter((d) => !only || d.name.includes(only));
const pg = await startPostgres();
const nats = await startNats();
const results: DrillResult[] = [];
try {
  const cluster = await startDrillCluster(pg, nats, { cells: 3, apis: 2, convergenceMs, presenceTtlMs });
  const load = new Load(cluster, { everyMs: 1_000, maxApps: 4, prefix: "d" });
  try {
    load.start();
    for (const drill of drills) {
      console.log(`drill: ${drill.name}`);
      const result = await runDrill(cluster, load, drill.name, (extra) => drill.fault(cluster, extra), {
        timeoutMs: 120_000,
        settleMs: 5_000,
      });
      results.push(result);
      console.log(drillTable([result]));
    }
  } finally {
    await load.stop(5_000);
    await cluster.close();
  }
  console.log(`\n${drillTable(results)}`);
  report(
    "drill",
    [
      ["drills held", `${results.filter((r) => r.held).length}/${results.length}`],
      ["writes acknowledged", load.writes],
      ["write retries", load.retries],
    ],
    { convergenceMs, presenceTtlMs, results },
  );
  if (results.some((r) => !r.held)) process.exitCode = 1;
} finally {
  await nats.stop();
  await pg.stop();
}
