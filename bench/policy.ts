/**
 * Network policy benchmark, end to end: a real api over real Postgres and NATS, and three cells each
 * running the agent's policy path (its own NATS user, PolicyPuller, NetworkPolicyEnforcer, garden's
 * networker on a netns host), with a cluster-sized policy in Postgres: 1,000 policies between 500
 * apps holding 2,000 container addresses spread over the cells (synthetic instance rows, plus two real
 * containers), and 100 egress rules.
 * - API call → enforced on every cell: a policy added (then removed) through the HTTP API until each
 *   cell has applied a slice of that revision or later (announced on NATS, pulled, one nft
 *   transaction, conntrack pass), p50/p99; also the on-cell part alone.
 * - New connections/s between two containers through an enforcing cell vs a cell with no rules
 *   (open bridge, no br_netfilter), alternated over rounds in the same run; target ratio >= 0.6.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { schema } from "@grove/db";
import { createNetworker } from "@grove/garden";
import { createTestNetwork, makeTempDir } from "@grove/testkit/services";
import { execa, type ResultPromise } from "execa";
import { pino } from "pino";
import { currentPolicyRevision } from "../apps/api/src/repo/policies";
import { percentile, report } from "./lib";
import { type BenchCell, type BenchCluster, startBenchCluster } from "./policy-cluster";

const CHANGES = Number(process.env.BENCH_RUNS ?? 40);
const CELLS = 3;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const POLICIES = 1_000;
const APPS = 500;
const ADDRESSES = 2_000;
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const CONCURRENCY = 8;
const PORT = 9100;

const SERVER = `require("node:net").createServer((c) => c.end("k")).listen(${PORT}, () => console.log("listening"));`;

/** Opens, reads one byte, closes — as many times as it can for the given seconds, CONCURRENCY at once. */
const CLIENT = `
const net = require("node:net");
const [host, seconds, concurrency] = process.argv.slice(1);
const until = Date.now() + Number(seconds) * 1000;
let done = 0, failed = 0;
function one() {
  if (Date.now() >= until) return Promise.resolve();
  return new Promise((resolve) => {
    const c = net.connect({ host, port: ${PORT} });
    c.setTimeout(2000, () => { failed++; c.destroy(); resolve(); });
    c.on("error", () => { failed++; resolve(); });
    c.on("data", () => {});
    c.on("end", () => { done++; resolve(); });
  }).then(one);
}
Promise.all(Array.from({ length: Number(concurrency) }, one)).then(() => console.log(JSON.stringify({ done, failed })));
`;

function nsNode(netns: string, script: string, args: string[] = []): ResultPromise {
  return execa("nsenter", [`--net=${netns}`, "--", "node", "-e", script, ...args], { reject: false });
}

/** The server process, boxed: a ResultPromise returned from an async function would be awaited. */
async function startServer(netns: string): Promise<{ child: ResultPromise }> {
  const child = execa("nsenter", [`--net=${netns}`, "--", "node", "-e", SERVER], {
    reject: false,
    buffer: false,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start")), 10_000);
    child.stdout?.on("data", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { child };
}

async function connectionsPerSecond(
  from: string,
  host: string,
): Promise<{ perSecond: number; failed: number }> {
  const out = await nsNode(from, CLIENT, [host, String(LOAD_SECONDS), String(CONCURRENCY)]);
  const { done, failed } = JSON.parse(String(out.stdout)) as { done: number; failed: number };
  return { perSecond: done / LOAD_SECONDS, failed };
}

/** 500 apps × 4 addresses (synthetic, spread over every cell), 1,000 policies and 100 egress rules, in Postgres. */
async function seed(cluster: BenchCluster, real: { client: string; server: string }): Promise<void> {
  const names = [...Array.from({ length: APPS }, (_, i) => `app-${i}`), "client", "server"];
  const ids: string[] = [];
  for (const name of names) {
    const res = await cluster.call("/v1/apps", "POST", {
      name,
      command: "httpd",
      instances: 1,
      memory_mb: 64,
    });
    if (res.status !== 201) throw new Error(`app ${name}: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const { cells, db, tenantId } = cluster;
  const instance = (appId: string, index: number, cellId: string, containerIp: string) => ({
    tenantId,
    appId,
    index,
    revision: 1,
    cellId,
    state: "RUNNING" as const,
    containerIp,
  });
  const rows = ids
    .slice(0, APPS)
    .flatMap((appId, i) =>
      Array.from({ length: ADDRESSES / APPS }, (_, k) =>
        instance(
          appId,
          k,
          cells[k % cells.length]?.cellId ?? "",
          `10.${100 + (i % 100)}.${Math.floor(i / 100)}.${k + 2}`,
        ),
      ),
    );
  const cell0 = cells[0]?.cellId ?? "";
  rows.push(
    instance(ids[APPS] ?? "", 0, cell0, real.client),
    instance(ids[APPS + 1] ?? "", 0, cell0, real.server),
  );
  await db.insert(schema.instances).values(rows);
  const policy = (source: string, destination: string, protocol: "tcp" | "udp", port: number) => ({
    tenantId,
    sourceAppId: source,
    destinationAppId: destination,
    destinationTenantId: tenantId,
    protocol,
    portStart: port,
    portEnd: port,
  });
  await db
    .insert(schema.networkPolicies)
    .values([
      ...Array.from({ length: POLICIES - 1 }, (_, i) =>
        policy(
          ids[i % APPS] ?? "",
          ids[(i * 7 + 1) % APPS] ?? "",
          i % 5 === 0 ? "udp" : "tcp",
          8000 + (i % 64),
        ),
      ),
      policy(ids[APPS] ?? "", ids[APPS + 1] ?? "", "tcp", PORT),
    ]);
  await db.insert(schema.egressRules).values(
    Array.from({ length: 100 }, (_, i) => ({
      tenantId,
      network: `198.18.${i}.0/24`,
      protocol: "tcp" as const,
      portStart: 443,
      portEnd: 443,
    })),
  );
}

/** When every cell enforced revision `revision` or a later one (performance.now() ms), polling. */
async function enforcedEverywhere(cells: BenchCell[], revision: number): Promise<number> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const times = cells.map((cell) => {
      let first: number | undefined;
      for (const [r, at] of cell.enforcedAt)
        if (r >= revision && (first === undefined || at < first)) first = at;
      return first;
    });
    if (times.every((t) => t !== undefined)) return Math.max(...(times as number[]));
    if (performance.now() > deadline)
      throw new Error(`revision ${revision} not enforced on every cell within 20 s`);
    await sleep(2);
  }
}

export async function main(): Promise<string> {
  const log = pino({ level: "warn" });
  const world = await createTestNetwork();
  const temp = await makeTempDir("grove-bench-policy-");
  const children: ResultPromise[] = [];
  const networkers: { destroyAll(): Promise<void> }[] = [];
  let cluster: BenchCluster | undefined;
  try {
    cluster = await startBenchCluster(world, temp.path, CELLS, log);
    const enforcing = cluster.cells[0]?.networker;
    if (!enforcing) throw new Error("no cell");
    const openHost = await world.addHost();
    const id = randomBytes(2).toString("hex");
    const open = createNetworker({
      stateDir: `${temp.path}/open`,
      bridge: `bpo${id}br`,
      subnet: "10.251.1.0/24",
      name: `bpo${id}`,
      externalIP: openHost.address,
      hostNetns: openHost.netnsPath,
      isolateContainers: false,
      log,
    });
    networkers.push(open);
    const [ec, es] = [await enforcing.up(`bpe${id}-c`, {}), await enforcing.up(`bpe${id}-s`, {})];
    const [oc, os] = [await open.up(`bpo${id}-c`, {}), await open.up(`bpo${id}-s`, {})];
    children.push((await startServer(es.netnsPath)).child, (await startServer(os.netnsPath)).child);

    await seed(cluster, { client: ec.containerIP, server: es.containerIP });
    for (const cell of cluster.cells) cell.startPulling();
    await enforcedEverywhere(cluster.cells, await currentPolicyRevision(cluster.db));

    // API call → enforced on every cell: add a policy between two apps present on every cell, then remove it
    const endToEndMs: number[] = [];
    let added: string | undefined;
    for (let i = 0; i < CHANGES; i++) {
      const started = performance.now();
      const res = added
        ? await cluster.call(`/v1/policies/${added}`, "DELETE")
        : await cluster.call("/v1/policies", "POST", {
            source: `app-${i % APPS}`,
            destination: `app-${(i + 1) % APPS}`,
            port: 20_000 + i,
          });
      if (res.status !== (added ? 204 : 201))
        throw new Error(`policy change ${i}: ${res.status} ${await res.text()}`);
      added = added ? undefined : ((await res.json()) as { id: string }).id;
      const revision = await currentPolicyRevision(cluster.db);
      endToEndMs.push((await enforcedEverywhere(cluster.cells, revision)) - started);
    }
    const applyMs = cluster.cells.flatMap((cell) => cell.applyMs);

    // the enforced slice lets the real client through
    const probe = await connectionsPerSecond(ec.netnsPath, es.containerIP);
    if (probe.perSecond === 0) throw new Error("the allowed connection did not pass");
    // alternate the two, so a busy machine's load falls on both alike; the median round's ratio counts
    const rounds: { open: number; enforcing: number; failed: [number, number] }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const first = r % 2 === 0;
      const a = await connectionsPerSecond(
        first ? oc.netnsPath : ec.netnsPath,
        first ? os.containerIP : es.containerIP,
      );
      const b = await connectionsPerSecond(
        first ? ec.netnsPath : oc.netnsPath,
        first ? es.containerIP : os.containerIP,
      );
      const [o, e] = first ? [a, b] : [b, a];
      rounds.push({ open: o.perSecond, enforcing: e.perSecond, failed: [e.failed, o.failed] });
    }
    const ratios = rounds.map((x) => x.enforcing / x.open);
    const ratio = percentile(ratios, 50);
    const openRate = percentile(
      rounds.map((x) => x.open),
      50,
    );
    const enforcingRate = percentile(
      rounds.map((x) => x.enforcing),
      50,
    );
    const failed = [0, 1].map((k) => rounds.reduce((sum, x) => sum + (x.failed[k] ?? 0), 0)) as [
      number,
      number,
    ];
    return report(
      "policy",
      [
        ["cells / policies / addresses / egress rules", `${CELLS} / ${POLICIES} / ${ADDRESSES + 2} / 100`],
        ["policy changes (add, remove) through the API", CHANGES],
        ["API call → enforced on every cell, p50 ms", percentile(endToEndMs, 50)],
        ["API call → enforced on every cell, p99 ms", percentile(endToEndMs, 99)],
        ["slice → enforced on a cell (nft + conntrack), p50 ms", percentile(applyMs, 50)],
        ["slice → enforced on a cell (nft + conntrack), p99 ms", percentile(applyMs, 99)],
        ["new connections/s, enforcing cell (median round)", enforcingRate],
        ["new connections/s, no rules (median round)", openRate],
        ["ratio enforcing / no rules (median of rounds)", ratio],
        ["ratios per round", ratios.map((x) => x.toFixed(2)).join(" ")],
        ["failed connections (enforcing / no rules)", `${failed[0]} / ${failed[1]}`],
        ["target", "ratio >= 0.6; API call → enforced everywhere < 2 s"],
      ],
      {
        cells: CELLS,
        policies: POLICIES,
        addresses: ADDRESSES + 2,
        egress_rules: 100,
        changes: CHANGES,
        api_to_enforced_p50_ms: percentile(endToEndMs, 50),
        api_to_enforced_p99_ms: percentile(endToEndMs, 99),
        apply_p50_ms: percentile(applyMs, 50),
        apply_p99_ms: percentile(applyMs, 99),
        connections_per_second_enforcing: enforcingRate,
        connections_per_second_no_rules: openRate,
        ratio,
        ratios,
        failed_enforcing: failed[0],
        failed_no_rules: failed[1],
        concurrency: CONCURRENCY,
        load_seconds: LOAD_SECONDS,
      },
    );
  } finally {
    for (const child of children) child.kill("SIGKILL");
    await Promise.allSettled(children);
    for (const net of networkers) await net.destroyAll().catch(() => undefined);
    await cluster?.close();
    await world.remove().catch(() => undefined);
    await temp.remove().catch(() => undefined);
  }
}
