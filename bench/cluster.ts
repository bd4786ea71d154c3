/**
 * Cluster bench: the whole control loop at scale with hollow cells (bench/hollow-cells.ts: simulated
 * agents speaking the real protocol over real NATS, no containers). Starts Postgres, NATS, two api
 * processes — one with `GROVE_API_ROLES=leader` (leads, answers cells), one `http` that the requests
 * go to, the production shape at scale (`BENCH_API_SPLIT=0`: one api with both roles, as `npm start`)
 * — and N hollow cells in another; seeds APPS apps of PER_APP instances (one pushed
 * through the API, the rest cloned from it in SQL, all stopped), then starts them all at once and
 * measures, Nomad C1M-style:
 * - end-to-end placements/s from desired to RUNNING (api → Postgres → NATS → cells → events),
 * - leader round time (grove_leader_round_duration_seconds) during the ramp and at steady state,
 * - api latency of GET /v1/apps/{name} and PATCH …{instances} (scale) while the ramp runs, and the
 *   event-loop delay of the leader and of the replica serving the requests,
 * - Postgres rows written/s at steady state (pg_stat_database deltas), leader RSS and CPU,
 * - zone spread (max skew of an app's RUNNING instances between zones).
 *
 * `npm run bench -- cluster` (1,000 cells, 10,000 apps × 10) or `npm run bench -- cluster --quick`
 * (100 cells, 1,000 apps × 10). Hollow cells are never used to claim runtime figures.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, startNats, startPostgres } from "@grove/testkit/services";
import postgres from "postgres";
import type { HollowCellsConfig } from "./hollow-cells";
import { machineReferenceMs, percentile, report } from "./lib";

const TOKEN = "bench-operator-token-0123456789";
const TENANT = "default";
const root = join(import.meta.dirname, "..");

const TARGETS = { placementsPerSecond: 3_750, roundP99Ms: 500, apiP99Ms: 50 };

interface Size {
  cells: number;
  apps: number;
  perApp: number;
}

function sizeOf(argv: string[]): Size {
  if (argv.includes("--quick")) return { cells: 100, apps: 1_000, perApp: 10 };
  return {
    cells: Number(process.env.BENCH_CELLS ?? 1_000),
    apps: Number(process.env.BENCH_APPS ?? 10_000),
    perApp: Number(process.env.BENCH_PER_APP ?? 10),
  };
}

function node(file: string, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, "--import", "tsx", join(root, file)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/**
 * Gives every thread of `pid` the nice value `nice` (setpriority on a pid reaches only its main
 * thread: Node's GC and libuv threads are threads of their own).
 */
function renice(pid: number, nice: number): void {
  for (const tid of readdirSync(`/proc/${pid}/task`)) setPriority(Number(tid), nice);
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code) => reject(new Error(`exited ${code} before ${pattern}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = buffered.split("\n").find((line) => pattern.test(line));
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuSeconds: ticks / 100, rssBytes: rssPages * 4096 };
}

/**
 * CPU seconds each part of the run has used so far, from /proc: every process under this one
 * (the api, the hollow cells, Postgres with its backends, nats-server, tools), each with its
 * descendants and the children they reaped, named by what it runs. The ramp's share of each tells
 * which part a faster control loop must make cheaper (the machine's cores are shared by all).
 */
function cpuByPart(names: ReadonlyMap<number, string> = new Map()): Record<string, number> {
  const procs = new Map<number, { ppid: number; part: string; ticks: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const part = cmdline.includes("apps/api/src/main.ts")
        ? "api"
        : cmdline.includes("hollow-cells.ts")
          ? "hollow cells"
          : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      // utime, stime, cutime, cstime
      const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
      procs.set(Number(entry), { ppid: Number(fields[1]), part, ticks });
    } catch {
      // gone meanwhile
    }
  }
  const parts: Record<string, number> = {};
  const add = (pid: number, part: string) => {
    for (const [child, proc] of procs) {
      if (proc.ppid !== pid) continue;
      parts[part] = (parts[part] ?? 0) + proc.ticks / 100;
      add(child, part);
    }
  };
  for (const [pid, proc] of procs) {
    if (proc.ppid !== process.pid) continue;
    const part = names.get(pid) ?? proc.part;
    parts[part] = (parts[part] ?? 0) + proc.ticks / 100;
    add(pid, part);
  }
  return parts;
}

/** CPU seconds of each part between two `cpuByPart` samples, largest first. */
function cpuBetween(before: Record<string, number>, after: Record<string, number>): [string, number][] {
  return Object.entries(after)
    .map(([part, seconds]): [string, number] => [part, seconds - (before[part] ?? 0)])
    .filter(([, seconds]) => seconds >= 0.05)
    .sort((a, b) => b[1] - a[1]);
}

/** The leader's event-loop delay p99 and max in ms since its previous /metrics scrape (prom-client resets it). */
let loopDelay = { p99Ms: 0, maxMs: 0 };

/**
 * What the api serving the requests spent so far, to tell what a request waits on: its main thread's
 * seconds on a core and waiting in the run queue for one (/proc schedstat: the cores are shared),
 * its GC seconds, and its event-loop delay since the previous scrape of its /metrics.
 */
async function servingSample(apiUrl: string, pid: number) {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const [run, queued] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ").map(Number);
  let gcSeconds = 0;
  for (const match of text.matchAll(/^grove_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)/gm))
    gcSeconds += Number(match[1]);
  return {
    loopDelay: loopDelayIn(text),
    runSeconds: (run ?? 0) / 1e9,
    queuedSeconds: (queued ?? 0) / 1e9,
    gcSeconds,
  };
}

function loopDelayIn(metrics: string): { p99Ms: number; maxMs: number } {
  const gauge = (name: string) =>
    Number(
      new RegExp(`^grove_nodejs_eventloop_lag_${name}_seconds (\\S+)`, "m").exec(metrics)?.[1] ?? Number.NaN,
    ) * 1000;
  return { p99Ms: gauge("p99"), maxMs: gauge("max") };
}

/**
 * The round-duration histogram's cumulative bucket counts, by upper bound in seconds; keeps the
 * event-loop delay read in the same scrape in `loopDelay`.
 */
async function roundBuckets(apiUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const buckets = new Map<string, number>();
  loopDelay = loopDelayIn(text);
  for (const line of text.split("\n")) {
    const match = /^grove_leader_round_duration_seconds_bucket\{le="([^"]+)"\} (\d+)/.exec(line);
    if (match) buckets.set(match[1] as string, Number(match[2]));
  }
  return buckets;
}

/** Instance starts and start commands the api sent so far (its counters; a batch is one command). */
async function startCounts(apiUrl: string): Promise<{ starts: number; commands: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const sum = (pattern: RegExp) =>
    [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
  return {
    starts: sum(/^grove_starts_sent_total (\S+)/gm),
    commands: sum(/^grove_start_commands_total\{[^}]*\} (\S+)/gm),
  };
}

/** The smallest bucket bound holding at least 99% of the rounds between two samples, in ms. */
function p99Bound(
  before: Map<string, number>,
  after: Map<string, number>,
): { p99Ms: number; rounds: number } {
  const total = (after.get("+Inf") ?? 0) - (before.get("+Inf") ?? 0);
  for (const [le, count] of after) {
    if (le === "+Inf") continue;
    if (count - (before.get(le) ?? 0) >= 0.99 * total) return { p99Ms: Number(le) * 1000, rounds: total };
  }
  return { p99Ms: Number.POSITIVE_INFINITY, rounds: total };
}

/**
 * RUNNING instances of the `app-*` apps, kept up to date from the rows written since the previous
 * read (`written_by`, as the leader's view reads them): a count of every instance a second cost
 * Postgres 5 CPU s of a 100,000-instance ramp (the bench measuring itself); this reads each write once.
 */
class RunningCount {
  private readonly running = new Set<string>();
  private since: string | undefined;

  constructor(private readonly sql: postgres.Sql) {}

  async read(): Promise<number> {
    await this.sql.begin("isolation level repeatable read read only", async (tx) => {
      const [snapshot] = await tx<{ xmin: string }[]>`
        select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`;
      const rows = await tx<{ id: string; running: boolean }[]>`
        select x.id, x.state = 'RUNNING' as running from instances x
        where ${this.since === undefined ? tx`true` : tx`x.written_by >= ${this.since}::xid8`}
          and x.app_id not in (select id from apps where name in ('probe', 'tmpl'))`;
      for (const row of rows) {
        if (row.running) this.running.add(row.id);
        else this.running.delete(row.id);
      }
      this.since = snapshot?.xmin;
    });
    return this.running.size;
  }
}

/** The app's bits: a tar of one file, made by tar(1) from a temp dir. */
function bitsTar(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "grove-cluster-bits-"));
  try {
    writeFileSync(join(dir, "app.sh"), "httpd -f -p 8080\n");
    return execFileSync("tar", ["-c", "-C", dir, "app.sh"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(): Promise<string> {
  const size = sizeOf(process.argv);
  const loadAtStart = loadavg();
  // before anything of the bench runs: how fast the machine is today (see `machineReferenceMs`)
  const referenceMs = machineReferenceMs();
  const total = size.apps * size.perApp;
  // BENCH_PG_STATEMENTS=1: Postgres counts time per statement (pg_stat_statements); the top ones
  // by total time during the ramp go into the results
  const statements = process.env.BENCH_PG_STATEMENTS === "1";
  // Postgres sized as a control plane's would be, not as the tests' throwaway servers (32 MB of
  // shared buffers, where 100,000 instances and their indexes do not fit): BENCH_PG_SHARED_BUFFERS.
  // Given on the command line: the tests' 32 MB is, and outranks ALTER SYSTEM (until session 18 this
  // bench asked for 512 MB that way and ran with 32 MB)
  const pg = await startPostgres({
    settings: {
      shared_buffers: process.env.BENCH_PG_SHARED_BUFFERS ?? "512MB",
      ...(statements ? { shared_preload_libraries: "pg_stat_statements" } : {}),
    },
  });
  const nats = await startNats();
  const children: ChildProcess[] = [];
  // an interrupted run still stops what it started (the finally below runs once the ramp loop sees it)
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
  });
  try {
    const databaseUrl = await pg.createDatabase("cluster");
    const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
    // what the server runs with, as it says (not what was asked)
    const [{ shared_buffers: sharedBuffers }] = (await sql`show shared_buffers`) as unknown as [
      { shared_buffers: string },
    ];
    // the leader (answering cells too) and, split, an http-only replica the requests go to
    const split = process.env.BENCH_API_SPLIT !== "0";
    // BENCH_PG_SOCKET=1: the apis reach Postgres over its unix socket (postgres.js takes it from
    // PGHOST when the URL names no host) instead of loopback TCP
    const apiDatabase: Record<string, string> =
      process.env.BENCH_PG_SOCKET === "1"
        ? {
            DATABASE_URL: `postgres:///${new URL(databaseUrl).pathname.slice(1)}`,
            PGHOST: pg.dir,
            PGPORT: String(pg.port),
            PGUSER: "postgres",
          }
        : { DATABASE_URL: databaseUrl };
    const startApi = async (name: string, roles: string, nodeArgs: string[]) => {
      const port = await freePort();
      const child = node(
        "apps/api/src/main.ts",
        {
          ...apiDatabase,
          ...nats.env("api"),
          GROVE_API_PORT: String(port),
          GROVE_API_HOST: "127.0.0.1",
          GROVE_API_ROLES: roles,
          GROVE_BOOTSTRAP_TOKEN: TOKEN,
          GROVE_DEFAULT_TENANT: TENANT,
          GROVE_LOG_LEVEL: process.env.BENCH_API_LOG_LEVEL ?? "warn",
          GROVE_CONVERGENCE_INTERVAL_MS: "1000",
          // a /24 per cell: the default /16 holds 256 cells, this one 4,096
          GROVE_CELL_NETWORK: "10.64.0.0/12",
        },
        nodeArgs,
      );
      children.push(child);
      // the api's log is read (a full pipe would stall it) and kept beside the results
      const logFile = join(tmpdir(), `grove-cluster-${name}-${process.pid}.log`);
      child.stdout?.pipe(createWriteStream(logFile));
      console.error(`${name} log: ${logFile}`);
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        const ok = await fetch(`${url}/livez`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (i > 600) throw new Error(`${name} did not start`);
        await sleep(100);
      }
      return { url, pid: child.pid as number };
    };
    // BENCH_API_CPU_PROF=<dir>: each api writes a V8 CPU profile there when it stops
    // BENCH_API_NODE_ARGS="<flags>": node flags for the apis (and the hollow cells), e.g. a GC setting
    const childNodeArgs = [
      ...(process.env.BENCH_API_CPU_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_API_CPU_PROF}`]
        : []),
      ...(process.env.BENCH_API_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
    ];
    // one after the other: each migrates the database at its start
    const leaderApi = await startApi(
      split ? "api-leader" : "api",
      split ? "leader" : "http,leader",
      childNodeArgs,
    );
    const httpApi = split ? await startApi("api-http", "http", childNodeArgs) : leaderApi;
    // The replica serving requests runs with CPU priority over the rest (BENCH_API_HTTP_NICE, -10 by
    // default; 0: none), as an operator gives http replicas on a shared host a higher CPUWeight: at
    // scale they run on cores of their own (docs/operations.md). Only with the split (one api: none).
    const httpNice = split ? Number(process.env.BENCH_API_HTTP_NICE ?? -10) : 0;
    if (httpNice !== 0) renice(httpApi.pid, httpNice);
    const leaderUrl = leaderApi.url;
    const apiUrl = httpApi.url;
    const apiPid = leaderApi.pid;
    const partNames = new Map(
      split
        ? [
            [leaderApi.pid, "api-leader"],
            [httpApi.pid, "api-http"],
          ]
        : [[leaderApi.pid, "api"]],
    );
    const call = async (path: string, init: { method?: string; json?: unknown; body?: Buffer } = {}) => {
      const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, "x-grove-tenant": TENANT };
      if (init.json !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${apiUrl}${path}`, {
        method: init.method ?? "GET",
        headers,
        body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };

    // cells
    const { token: joinToken } = (await call("/v1/cells/tokens", {
      method: "POST",
      json: { uses: size.cells, expires_in_seconds: 3600 },
    })) as { token: string };
    const hollowConfig: HollowCellsConfig = {
      count: size.cells,
      joinToken,
      join: nats.access("join"),
      zones: 3,
      capacity: { memoryMb: 65_536, diskMb: 1_048_576, containers: 250 },
      heartbeatMs: 5_000,
      startMs: 500,
      stopMs: 100,
      crashRate: 0,
      joinConcurrency: 16,
      // as agents do (BENCH_START_BATCH=0: cells of older agents, one start command per instance)
      maxStartBatch: Number(process.env.BENCH_START_BATCH ?? 250) || undefined,
    };
    const joinStarted = performance.now();
    const hollow = node(
      "bench/hollow-cells.ts",
      { BENCH_HOLLOW_CELLS: JSON.stringify(hollowConfig) },
      childNodeArgs,
    );
    children.push(hollow);
    await waitForLine(hollow, /^ready /, 30 * 60_000);
    const joinSeconds = (performance.now() - joinStarted) / 1000;
    // The hollow cells stand in for a thousand machines of their own; here they share the control
    // plane's two cores, so they run at a lower priority (BENCH_HOLLOW_NICE, 10 by default; 0: as
    // the control plane): they take the CPU the control plane leaves, as kubemark's hollow nodes run
    // on machines apart from the control plane's. Their own CPU is still counted below.
    const hollowNice = Number(process.env.BENCH_HOLLOW_NICE ?? 10);
    if (hollowNice !== 0 && hollow.pid !== undefined) renice(hollow.pid, hollowNice);
    console.error(`${size.cells} hollow cells joined in ${joinSeconds.toFixed(1)} s`);

    // apps: one pushed through the API, cloned in SQL (stopped), plus a probe app for scale calls
    const bits = bitsTar();
    await call("/v1/apps", {
      method: "POST",
      json: { name: "tmpl", command: "httpd -f -p 8080", instances: 0, memory_mb: 128, disk_mb: 256 },
    });
    await call("/v1/apps/tmpl/bits", { method: "PUT", body: bits });
    await call("/v1/apps", {
      method: "POST",
      json: { name: "probe", command: "httpd -f -p 8080", instances: 1, memory_mb: 128, disk_mb: 256 },
    });
    await call("/v1/apps/probe/bits", { method: "PUT", body: bits });
    await sql`
      insert into apps (tenant_id, space_id, name, revision, version, stack, command, env, instances,
        memory_mb, disk_mb, ports, health_check, bits_digest, volumes, state)
      select tenant_id, space_id, 'app-' || g, revision, version, stack, command, env, ${size.perApp},
        memory_mb, disk_mb, ports, health_check, bits_digest, volumes, 'stopped'
      from apps, generate_series(1, ${size.apps}) g where name = 'tmpl'`;
    await sql`
      insert into app_revisions (app_id, tenant_id, revision, stack, command, env, memory_mb, disk_mb,
        ports, health_check, bits_digest, volumes, image)
      select a.id, r.tenant_id, r.revision, r.stack, r.command, r.env, r.memory_mb, r.disk_mb, r.ports,
        r.health_check, r.bits_digest, r.volumes, r.image
      from apps a join apps t on t.name = 'tmpl' join app_revisions r on r.app_id = t.id
        and r.revision = t.revision
      where a.name like 'app-%'`;
    await sql`analyze`;
    if (statements) {
      await sql`create extension if not exists pg_stat_statements`;
      await sql`select pg_stat_statements_reset()`;
    }

    // ramp: every app started at once; a wake tells the leader at once
    const nc = await nats.connect("api");
    // the serving replica's event-loop delay is read since this scrape (split: its own; else the leader's)
    const servingBefore = await servingSample(apiUrl, httpApi.pid);
    // the desire of 10,000 apps stored in one statement, standing in for users' starts (whose api
    // latency is measured below): the clock starts once it is committed, when the desire exists
    const desireAt = performance.now();
    await sql`update apps set state = 'started' where name like 'app-%'`;
    const desireWriteSeconds = (performance.now() - desireAt) / 1000;
    const before = {
      buckets: await roundBuckets(leaderUrl),
      usage: processUsage(apiPid),
      parts: cpuByPart(partNames),
      at: performance.now(),
    };
    nc.publish("grove.v1.api.placement.wake");
    let maxRss = before.usage.rssBytes;
    const getMs: number[] = [];
    const scaleMs: number[] = [];
    let probing = true;
    // the probe's client is a user elsewhere: this process measures with the serving replica's
    // priority, so its own wait for a core is not counted as the api's latency
    if (httpNice !== 0) renice(process.pid, httpNice);
    const probe = (async () => {
      for (let i = 0; probing; i++) {
        const name = `app-${1 + Math.floor(Math.random() * size.apps)}`;
        let started = performance.now();
        await call(`/v1/apps/${name}`);
        getMs.push(performance.now() - started);
        started = performance.now();
        await call("/v1/apps/probe", { method: "PATCH", json: { instances: 1 + (i % 2) } });
        scaleMs.push(performance.now() - started);
        await sleep(50);
      }
    })();
    const series: [number, number][] = [];
    let running = 0;
    const runningCount = new RunningCount(sql);
    const rampLimitSeconds = Number(process.env.BENCH_RAMP_SECONDS ?? (size.cells >= 1_000 ? 1_800 : 600));
    const deadline = performance.now() + rampLimitSeconds * 1000;
    while (running < total && performance.now() < deadline && !interrupted) {
      await sleep(1_000);
      running = await runningCount.read();
      series.push([Math.round((performance.now() - before.at) / 1000), running]);
      maxRss = Math.max(maxRss, processUsage(apiPid).rssBytes);
      console.error(`  ${series.at(-1)?.[0]} s: ${running} / ${total} RUNNING`);
    }
    probing = false;
    await probe;
    const rampSeconds = (performance.now() - before.at) / 1000;
    const afterRamp = { buckets: await roundBuckets(leaderUrl), usage: processUsage(apiPid) };
    const rampCpuByPart = cpuBetween(before.parts, cpuByPart(partNames));
    const startsSent = await startCounts(leaderUrl);
    const rampLoopDelay = loopDelay;
    const servingAfter = await servingSample(apiUrl, httpApi.pid);
    const serving = {
      event_loop_delay_ms: split ? servingAfter.loopDelay : rampLoopDelay,
      main_thread_cpu_seconds: servingAfter.runSeconds - servingBefore.runSeconds,
      main_thread_run_queue_seconds: servingAfter.queuedSeconds - servingBefore.queuedSeconds,
      gc_seconds: servingAfter.gcSeconds - servingBefore.gcSeconds,
    };
    const placementsPerSecond = running / rampSeconds;
    const rampRounds = p99Bound(before.buckets, afterRamp.buckets);
    const topStatements = statements
      ? await sql<
          { query: string; calls: number; total_ms: number; mean_ms: number; max_ms: number; rows: number }[]
        >`
          select left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 160) as query, calls::int,
            round(total_exec_time)::int as total_ms, round(mean_exec_time::numeric, 2)::float as mean_ms,
            round(max_exec_time::numeric, 1)::float as max_ms, rows::int
          from pg_stat_statements order by total_exec_time desc
          limit ${Number(process.env.BENCH_PG_STATEMENTS_TOP ?? 15)}`
      : [];
    for (const s of topStatements)
      console.error(
        `  pg ${s.total_ms} ms / ${s.calls} calls (${s.mean_ms} ms, max ${s.max_ms} ms, ${s.rows} rows): ${s.query}`,
      );

    // steady state: nothing changes; heartbeats, syncs, convergence and route emission go on.
    // The ramp's tail (last events, heartbeats read late, syncs, route emission) still writes for a
    // while: the window starts once the rows written in the last 15 s and in the 15 s before agree
    // within a tenth (or 5 rows/s), at most BENCH_SETTLE_SECONDS (60 by default) after the ramp. 15 s
    // is a heartbeat refresh: cells that changed together at the ramp's end refresh together, in
    // bursts 5-s rates never agree on. The wait and the 5-s rates are reported, so a writer that never
    // stops is measured, not waited out
    const stats = async () => {
      const [row] = await sql<{ written: string }[]>`
        select (tup_inserted + tup_updated + tup_deleted)::text as written
        from pg_stat_database where datname = current_database()`;
      return Number(row?.written ?? 0);
    };
    const settleLimitSeconds = Number(process.env.BENCH_SETTLE_SECONDS ?? 60);
    const settleStarted = performance.now();
    const settleRates: number[] = [];
    const mean = (rates: number[]) => rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
    for (let last = await stats(); ; ) {
      await sleep(5_000);
      const now = await stats();
      settleRates.push((now - last) / 5);
      last = now;
      if (settleRates.length >= 6) {
        const previous = mean(settleRates.slice(-6, -3));
        const current = mean(settleRates.slice(-3));
        if (Math.abs(current - previous) <= Math.max(5, 0.1 * Math.max(current, previous))) break;
      }
      if ((performance.now() - settleStarted) / 1000 >= settleLimitSeconds) break;
    }
    const settleSeconds = (performance.now() - settleStarted) / 1000;
    console.error(
      `  settled after ${settleSeconds.toFixed(0)} s (rows written/s per 5 s: ${settleRates.map((r) => r.toFixed(0)).join(", ")})`,
    );
    const steadySeconds = Number(process.env.BENCH_STEADY_SECONDS ?? 30);
    const tableWrites = async () =>
      new Map(
        (
          await sql<{ relname: string; ins: string; upd: string; hot: string; del: string }[]>`
            select coalesce(o.relname || ' (toast)', case when t.schemaname = 'public' then t.relname
                else t.schemaname || '.' || t.relname end) as relname,
              t.n_tup_ins::text as ins, t.n_tup_upd::text as upd, t.n_tup_hot_upd::text as hot,
              t.n_tup_del::text as del
            from pg_stat_all_tables t left join pg_class o on o.reltoastrelid = t.relid`
        ).map((row) => [row.relname, [Number(row.ins), Number(row.upd), Number(row.hot), Number(row.del)]]),
      );
    if (statements) await sql`select pg_stat_statements_reset()`;
    const steadyBefore = {
      written: await stats(),
      tables: await tableWrites(),
      buckets: await roundBuckets(leaderUrl),
      usage: processUsage(apiPid),
      at: performance.now(),
    };
    await sleep(steadySeconds * 1000);
    const steadyAfter = {
      written: await stats(),
      tables: await tableWrites(),
      buckets: await roundBuckets(leaderUrl),
      usage: processUsage(apiPid),
      at: performance.now(),
    };
    const elapsed = (steadyAfter.at - steadyBefore.at) / 1000;
    // a backend flushes its pg_stat counters at most once a second and, idle, up to 10 s late
    // (PGSTAT_MIN_INTERVAL, PGSTAT_IDLE_INTERVAL): a window's edges blur by that much
    const rowsWrittenPerSecond = (steadyAfter.written - steadyBefore.written) / elapsed;
    // rows inserted / updated (of them HOT) / deleted per second in the window, by table (a TOASTed
    // value's chunks count as rows of the table's toast table, catalogs' as theirs)
    const steadyTables = [...steadyAfter.tables]
      .map(([table, after]) => {
        const before = steadyBefore.tables.get(table) ?? [0, 0, 0, 0];
        const [ins, upd, hot, del] = after.map(
          (n, i) => Math.round(((n - (before[i] ?? 0)) / elapsed) * 10) / 10,
        );
        return { table, inserted: ins ?? 0, updated: upd ?? 0, hot_updated: hot ?? 0, deleted: del ?? 0 };
      })
      .filter((t) => t.inserted + t.updated + t.deleted > 0)
      .sort((a, b) => b.inserted + b.updated + b.deleted - (a.inserted + a.updated + a.deleted));
    for (const t of steadyTables)
      console.error(
        `  steady ${t.table}: ${t.inserted} ins/s, ${t.updated} upd/s (${t.hot_updated} HOT), ${t.deleted} del/s`,
      );
    // the window's writing statements by WAL records (a CTE's rows are what it returns, not what it wrote)
    const steadyStatements = statements
      ? await sql<{ query: string; calls: number; rows: number; wal_records: number; total_ms: number }[]>`
          select left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 160) as query, calls::int, rows::int,
            wal_records::int, round(total_exec_time)::int as total_ms
          from pg_stat_statements where wal_records > 0 order by wal_records desc limit 15`
      : [];
    for (const s of steadyStatements)
      console.error(
        `  steady pg ${s.wal_records} WAL records / ${s.calls} calls (${s.rows} rows): ${s.query}`,
      );
    const steadyRounds = p99Bound(steadyBefore.buckets, steadyAfter.buckets);
    const steadyCpu = (steadyAfter.usage.cpuSeconds - steadyBefore.usage.cpuSeconds) / elapsed;
    const rampCpu = (afterRamp.usage.cpuSeconds - before.usage.cpuSeconds) / rampSeconds;
    maxRss = Math.max(maxRss, steadyAfter.usage.rssBytes);

    const [skew] = await sql<{ skew: number | null }[]>`
      with zones as (select distinct zone from cells),
      counts as (
        select a.id as app_id, z.zone, count(x.id) as n
        from apps a cross join zones z
        left join cells c on c.zone = z.zone
        left join instances x on x.app_id = a.id and x.cell_id = c.id and x.state = 'RUNNING'
        where a.name like 'app-%'
        group by a.id, z.zone)
      select max(mx - mn)::int as skew from (select max(n) mx, min(n) mn from counts group by app_id) s`;
    const maxSkew = skew?.skew ?? Number.NaN;
    await nc.close();
    await sql.end();

    const getP99 = percentile(getMs, 99);
    const scaleP99 = percentile(scaleMs, 99);
    const met = {
      placements: placementsPerSecond >= TARGETS.placementsPerSecond,
      rounds: steadyRounds.p99Ms <= TARGETS.roundP99Ms,
      api: getP99 <= TARGETS.apiP99Ms && scaleP99 <= TARGETS.apiP99Ms,
      skew: maxSkew <= 1,
    };
    return report(
      "cluster",
      [
        [
          "hollow cells / apps / instances",
          `${size.cells} / ${size.apps} / ${total}${hollowNice ? ` (hollow cells at nice ${hollowNice})` : ""}`,
        ],
        ["machine reference workload ms (lower: faster; compare runs beside it)", referenceMs],
        ["cells joined in s", joinSeconds],
        ["RUNNING at the end", `${running} / ${total}`],
        ["desired (stored in s) → RUNNING s", `${desireWriteSeconds.toFixed(2)} → ${rampSeconds.toFixed(2)}`],
        [
          "placements/s end to end",
          `${placementsPerSecond.toFixed(0)} (target ${TARGETS.placementsPerSecond}: ${met.placements ? "met" : "missed"})`,
        ],
        ["leader rounds during ramp, p99 ≤ ms", `${rampRounds.p99Ms} (${rampRounds.rounds} rounds)`],
        [
          "leader rounds at steady state, p99 ≤ ms",
          `${steadyRounds.p99Ms} (${steadyRounds.rounds} rounds; target ${TARGETS.roundP99Ms}: ${met.rounds ? "met" : "missed"})`,
        ],
        ["GET /v1/apps/{name} p50 / p99 ms", `${percentile(getMs, 50).toFixed(1)} / ${getP99.toFixed(1)}`],
        [
          "PATCH scale p50 / p99 ms",
          `${percentile(scaleMs, 50).toFixed(1)} / ${scaleP99.toFixed(1)} (target ${TARGETS.apiP99Ms}: ${met.api ? "met" : "missed"})`,
        ],
        [
          "leader event-loop delay during ramp p99 / max ms",
          `${rampLoopDelay.p99Ms.toFixed(0)} / ${rampLoopDelay.maxMs.toFixed(0)}`,
        ],
        [
          "api replica serving the requests",
          `${split ? `http-only${httpNice ? ` at nice ${httpNice}` : ""}` : "the leader (BENCH_API_SPLIT=0)"}; in the ramp: event-loop delay p99 / max ` +
            `${serving.event_loop_delay_ms.p99Ms.toFixed(0)} / ${serving.event_loop_delay_ms.maxMs.toFixed(0)} ms, ` +
            `main thread ${serving.main_thread_cpu_seconds.toFixed(1)} s on a core, ` +
            `${serving.main_thread_run_queue_seconds.toFixed(1)} s waiting for one, GC ${serving.gc_seconds.toFixed(1)} s`,
        ],
        ["Postgres shared buffers (as the server says)", sharedBuffers],
        [
          "Postgres rows written/s at steady state",
          `${rowsWrittenPerSecond.toFixed(1)} (${elapsed.toFixed(0)} s, after ${settleSeconds.toFixed(0)} s settling)`,
        ],
        ["leader CPU (cores) ramp / steady", `${rampCpu.toFixed(2)} / ${steadyCpu.toFixed(2)}`],
        [
          "CPU s in the ramp by part",
          rampCpuByPart.map(([part, seconds]) => `${part} ${seconds.toFixed(1)}`).join(", "),
        ],
        [
          "starts sent / start commands (by the end of the ramp)",
          `${startsSent.starts} / ${startsSent.commands} for ${total} instances`,
        ],
        ["leader max RSS MB", maxRss / 1048576],
        ["zone spread: max skew of an app", `${maxSkew} (target 1: ${met.skew ? "met" : "missed"})`],
        [
          "load average (1 min) start / end",
          `${loadAtStart[0]?.toFixed(1)} / ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores (figures under load need a quiet re-run)`,
        ],
      ],
      {
        hollow: true,
        size,
        instances: total,
        machine_reference_ms: referenceMs,
        join_seconds: joinSeconds,
        running,
        desire_write_seconds: desireWriteSeconds,
        ramp_seconds: rampSeconds,
        placements_per_second: placementsPerSecond,
        running_series: series,
        leader_round_p99_ms_ramp: rampRounds.p99Ms,
        leader_rounds_ramp: rampRounds.rounds,
        leader_round_p99_ms_steady: steadyRounds.p99Ms,
        leader_rounds_steady: steadyRounds.rounds,
        api_get_app_ms: { p50: percentile(getMs, 50), p99: getP99, n: getMs.length },
        api_scale_ms: { p50: percentile(scaleMs, 50), p99: scaleP99, n: scaleMs.length },
        api_split: split,
        api_http_nice: httpNice,
        hollow_nice: hollowNice,
        api_event_loop_delay_ms_ramp: rampLoopDelay,
        api_serving_ramp: serving,
        postgres_shared_buffers: sharedBuffers,
        postgres_rows_written_per_second_steady: rowsWrittenPerSecond,
        steady_seconds: elapsed,
        steady_settle_seconds: settleSeconds,
        steady_settle_rates: settleRates,
        postgres_writes_by_table_steady: steadyTables,
        leader_cpu_cores_ramp: rampCpu,
        cpu_seconds_ramp_by_part: Object.fromEntries(rampCpuByPart),
        starts_sent_ramp: startsSent.starts,
        start_commands_ramp: startsSent.commands,
        leader_cpu_cores_steady: steadyCpu,
        leader_max_rss_bytes: maxRss,
        zone_max_skew: maxSkew,
        load_average_start: loadAtStart,
        ...(statements
          ? {
              postgres_top_statements_ramp: topStatements,
              postgres_writing_statements_steady: steadyStatements,
            }
          : {}),
        targets: TARGETS,
        met,
      },
    );
  } finally {
    for (const child of children.reverse()) {
      child.kill("SIGTERM");
      await new Promise((resolve) => {
        if (child.exitCode !== null) resolve(undefined);
        else {
          // a second signal makes the api exit at once (writing a CPU profile); then SIGKILL
          const timer = setTimeout(() => {
            child.kill("SIGTERM");
            setTimeout(() => {
              child.kill("SIGKILL");
              resolve(undefined);
            }, 5_000);
          }, 10_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        }
      });
    }
    await nats.stop();
    await pg.stop();
  }
}
