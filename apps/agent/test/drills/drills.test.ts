import { describeWith, it, type TestPostgres } from "@grove/testkit";
import { startNats, type TestNats } from "@grove/testkit/services";
import { afterAll, expect } from "vitest";
import {
  type DrillCluster,
  type DrillResult,
  drillTable,
  Load,
  runDrill,
  startDrillCluster,
} from "./drill-cluster";
import { scenarios } from "./scenarios";

// fast variants of `npm run drill`: one cluster (2 api replicas, 3 cells, router, NATS as a 3-node
// JetStream cluster with R3 streams) shared by the drills of this file, in order; a short presence
// TTL, partition, full disk and skewed clock so the file stays around 5 minutes
const PRESENCE_TTL_MS = 5_000;
// CI runs every drill (each held three runs in a row); GROVE_DRILLS=<name part>,… runs only those
// named (e.g. to repeat one)
const only = process.env.GROVE_DRILLS?.split(",");
const NATS_NODES = 3;
const drills = scenarios({ partitionMs: 8_000, holdMs: 8_000, natsNodes: NATS_NODES }).filter(
  (d) => !only || only.some((part) => d.name.includes(part)),
);
let nats: Promise<TestNats> | undefined;
let shared: Promise<{ cluster: DrillCluster; load: Load }> | undefined;
const results: DrillResult[] = [];

/** the file's cluster, started by the first drill (a failed start fails every drill at once) */
function cluster(pg: TestPostgres) {
  nats ??= startNats({ nodes: NATS_NODES });
  shared ??= nats.then((n) =>
    startDrillCluster(pg, n, {
      ...{ cells: 3, apis: 2, presenceTtlMs: PRESENCE_TTL_MS },
      ...(drills.some((d) => d.name.includes("disk")) ? { smallDiskMb: 1024 } : {}),
    }).then((c) => {
      const load = new Load(c, { everyMs: 1_500, maxApps: 3, prefix: "d" });
      load.start();
      return { cluster: c, load };
    }),
  );
  return shared;
}

afterAll(async () => {
  if (results.length > 0) console.log(drillTable(results));
  const started = await shared?.catch(() => undefined);
  await started?.load.stop(5_000);
  await started?.cluster.close();
  await (await nats?.catch(() => undefined))?.stop();
});

describeWith(["root", "runc", "postgres", "nats", "network"], "fault drills (fast variants)", () => {
  for (const drill of drills) {
    it(`${drill.name}: counts restored, no acknowledged write lost, no lasting duplicate, routes back`, async ({
      pg,
    }) => {
      const { cluster: c, load } = await cluster(pg);
      const result = await runDrill(c, load, drill.name, (extra) => drill.fault(c, extra), {
        timeoutMs: 60_000,
      });
      results.push(result);
      expect(result, drillTable([result])).toMatchObject({ held: true });
      if (drill.name === "kill -9 leader api") expect(result.extra.takeover).toBeLessThanOrEqual(5_000);
      if (drill.name.includes("agent")) expect(result.extra.readopted).toBe(true);
      // every stream kept its three copies through the restarts
      if (drill.name.startsWith("restart NATS")) expect(result.extra.streamsWhole).toMatch(/^(\d+)\/\1$/);
      // the time itself (target ≤ 20 s) is `npm run drill`'s figure, not a timed assertion
      if (drill.name === "cell lost") expect(result.extra.runningElsewhere).not.toBe("never");
      if (drill.name === "fill a cell's disk")
        expect(result.extra).toMatchObject({ lostWhileFull: false, agentUp: true });
      if (drill.name.startsWith("clock skewed"))
        expect(result.extra).toMatchObject({ lostWhileSkewed: false, agentUp: true });
    }, 300_000);
  }
});
