import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { tarOf } from "@grove/api/testing";
import {
  createTestNetwork,
  forwardLoopbackPort,
  makeTempDir,
  runId,
  stopChild,
  type TestHost,
  type TestNats,
  type TestNetwork,
  type TestPostgres,
  waitForOutput,
} from "@grove/testkit/services";
import { execa } from "execa";
import { type ApiProcess, apiProcess } from "../api-process";
import { type CellProcess, cellProcess } from "../cell-process";

const ROUTER_MAIN = join(import.meta.dirname, "../../../router/src/main.ts");
/** the router's port inside its own netns host (nothing else listens there) */
const ROUTER_PORT = 8080;

export interface DrillOptions {
  cells?: number;
  apis?: number;
  presenceTtlMs?: number;
  convergenceMs?: number;
  /** the first cell's state dir is an ext4 filesystem of this size (a loop device), so a drill can fill it */
  smallDiskMb?: number;
  /** a dir the api replicas' and agents' output goes to (api-<n>.log, cell-<n>.log) */
  logDir?: string;
}

/** A router process on its own netns host of the cells' network (so it reaches their addresses). */
export interface EdgeRouter {
  host: TestHost;
  child: ChildProcess;
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** GET / for `app` through the router: status and body ("" and 0 when it does not answer) */
  get(app: string): Promise<{ status: number; body: string }>;
}

/**
 * A cluster for fault drills: api replicas as processes (one leads by the Postgres advisory lock),
 * cells as processes on netns hosts of a private network, and the router on one more host.
 */
export interface DrillCluster {
  pg: TestPostgres;
  nats: TestNats;
  network: TestNetwork;
  apis: ApiProcess[];
  cells: CellProcess[];
  router: EdgeRouter;
  convergenceMs: number;
  presenceTtlMs: number;
  /** an api call through the first replica that answers */
  call(path: string, init?: { method?: string; json?: unknown; body?: Buffer }): Promise<Response>;
  /** the replica holding the leader lock (by its `grove_leader` metric), if one answers so */
  leader(): Promise<ApiProcess | undefined>;
  /** the containers a cell holds now (its garden depot's entries) */
  containers(cell: CellProcess): Promise<number>;
  /** drops all of a cell's traffic (its network and its NATS connection) until `heal` */
  partition(cell: CellProcess): Promise<void>;
  heal(cell: CellProcess): Promise<void>;
  close(): Promise<void>;
}

export async function startDrillCluster(
  pg: TestPostgres,
  nats: TestNats,
  options: DrillOptions = {},
): Promise<DrillCluster> {
  const convergenceMs = options.convergenceMs ?? 1_000;
  const presenceTtlMs = options.presenceTtlMs ?? 15_000;
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw failures[0];
  };
  try {
    const databaseUrl = await pg.createDatabase(`drill_${runId}_${randomInt(0, 1_000_000)}`);
    const env = {
      GROVE_CONVERGENCE_INTERVAL_MS: String(convergenceMs),
      GROVE_PRESENCE_TTL_MS: String(presenceTtlMs),
      GROVE_CELL_NETWORK: `10.${randomInt(200, 250)}.${randomInt(0, 16) * 16}.0/20`,
    };
    const apis: ApiProcess[] = [];
    for (let i = 0; i < (options.apis ?? 2); i++) {
      const api = await apiProcess({
        databaseUrl,
        natsEnv: nats.env("api"),
        env,
        ...(options.logDir ? { logFile: join(options.logDir, `api-${i}.log`) } : {}),
      });
      cleanups.push(() => api.kill("SIGTERM"));
      apis.push(api);
    }
    const call: DrillCluster["call"] = async (path, init) => {
      let last: unknown;
      for (const api of apis) {
        try {
          return await api.call(path, init);
        } catch (error) {
          last = error;
        }
      }
      throw last;
    };
    const network = await createTestNetwork();
    cleanups.push(() => network.remove());
    const cells: CellProcess[] = [];
    for (let i = 0; i < (options.cells ?? 3); i++) {
      const response = await call("/v1/cells/tokens", { method: "POST", json: { uses: 1 } });
      if (response.status !== 201) throw new Error(`join token: ${response.status}`);
      const { token } = (await response.json()) as { token: string };
      const dir = await makeTempDir("gd-");
      cleanups.push(() => dir.remove());
      if (i === 0 && options.smallDiskMb) await mountSmallDisk(dir.path, options.smallDiskMb, cleanups);
      const cell = cellProcess({
        name: `gd${runId}${"abcdefghijklmnop"[i]}`,
        stateDir: dir.path,
        natsEnv: nats.env("join"),
        joinToken: token,
        host: await network.addHost(),
        natsPorts: nats.ports,
        ...(options.logDir ? { logFile: join(options.logDir, `cell-${i}.log`) } : {}),
      });
      cleanups.push(() => cell.remove());
      cells.push(cell);
      await cell.start();
    }
    const router = await edgeRouter(await network.addHost(), nats);
    cleanups.push(() => router.kill("SIGTERM"));
    await router.start();
    return {
      pg,
      nats,
      network,
      apis,
      cells,
      router,
      convergenceMs,
      presenceTtlMs,
      call,
      async leader() {
        for (const api of apis) {
          const text = await fetch(`http://127.0.0.1:${api.port}/metrics`)
            .then((r) => r.text())
            .catch(() => "");
          if (/^grove_leader 1$/m.test(text)) return api;
        }
        return undefined;
      },
      containers: (cell) =>
        readdir(join(cell.stateDir, "depot"), { withFileTypes: true })
          .then((entries) => entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).length)
          .catch(() => 0),
      partition: (cell) => nft(cell, partitionRules(nats.ports)),
      heal: (cell) => nft(cell, "delete table inet grove_drill\n"),
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/**
 * Mounts a fresh ext4 filesystem of `sizeMb` (a sparse file on a loop device, no blocks reserved for
 * root) on `dir`; its unmount is pushed on `cleanups`, to run after what is pushed later.
 */
async function mountSmallDisk(dir: string, sizeMb: number, cleanups: (() => Promise<void>)[]): Promise<void> {
  const image = await makeTempDir("gd-disk-");
  cleanups.push(() => image.remove());
  const file = join(image.path, "disk.img");
  await execa("truncate", ["-s", `${sizeMb}M`, file]);
  await execa("mkfs.ext4", ["-q", "-F", "-m", "0", file]);
  await execa("mount", ["-o", "loop", file, dir]);
  cleanups.push(async () => {
    await execa("umount", [dir]).catch(() => execa("umount", ["-l", dir]));
  });
}

/** Fills the filesystem holding `dir` with one file (`dir`/drill-fill) until no byte is left. */
export async function fillDisk(dir: string): Promise<string> {
  const file = join(dir, "drill-fill");
  const { stdout } = await execa("df", ["--output=avail", "-B1", dir]);
  const avail = Number(stdout.trim().split("\n").pop());
  await execa("fallocate", ["-l", String(Math.max(avail, 4096)), file]).catch(() => {});
  // whatever fallocate left (metadata rounding), written until ENOSPC
  await execa("dd", ["if=/dev/zero", `of=${file}`, "bs=64k", "oflag=append", "conv=notrunc"], {
    reject: false,
  });
  return file;
}

/** Drops the host's traffic on its network and its forwarded NATS connections (loopback, `natsPorts`). */
function partitionRules(natsPorts: readonly number[]): string {
  const ports = `{ ${natsPorts.join(", ")} }`;
  return `table inet grove_drill {
  chain input { type filter hook input priority -10; policy accept;
    iifname "eth0" drop
    tcp dport ${ports} drop
    tcp sport ${ports} drop
  }
  chain output { type filter hook output priority -10; policy accept;
    oifname "eth0" drop
    tcp dport ${ports} drop
    tcp sport ${ports} drop
  }
}
`;
}

async function nft(cell: CellProcess, script: string): Promise<void> {
  const host = cell.host;
  if (!host) throw new Error(`cell ${cell.name} has no netns host`);
  await execa("nsenter", [`--net=${host.netnsPath}`, "nft", "-f", "-"], { input: script });
}

async function edgeRouter(host: TestHost, nats: TestNats): Promise<EdgeRouter> {
  const forwarder = await forwardLoopbackPort(host, nats.ports);
  const env = {
    ...process.env,
    ...nats.env("router"),
    GROVE_ROUTER_HOST: "127.0.0.1",
    GROVE_ROUTER_PORT: String(ROUTER_PORT),
    GROVE_ROUTER_STATUS_PORT: String(ROUTER_PORT + 2),
    GROVE_ROUTER_WORKERS: "1",
    GROVE_LOG_LEVEL: "info",
  };
  const router: EdgeRouter = {
    host,
    child: undefined as unknown as ChildProcess,
    async start() {
      const child = spawn(
        "nsenter",
        [`--net=${host.netnsPath}`, "--", process.execPath, "--import", "tsx", ROUTER_MAIN],
        { env, stdio: ["ignore", "pipe", "pipe"] },
      );
      router.child = child;
      await waitForOutput(child, /"router listening"/, 30_000, "router");
      child.stdout?.resume();
      child.stderr?.resume();
    },
    async kill(signal = "SIGKILL") {
      if (router.child) await stopChild(router.child, signal);
      if (signal !== "SIGKILL") await forwarder.close();
    },
    async get(app) {
      const result = await execa(
        "nsenter",
        [
          ...[`--net=${host.netnsPath}`, "curl", "-s", "-m", "2", "-w", "\n%{http_code}"],
          ...["-H", `Host: ${app}.default.grove.localhost`, `http://127.0.0.1:${ROUTER_PORT}/`],
        ],
        { reject: false },
      );
      const out = String(result.stdout ?? "");
      const cut = out.lastIndexOf("\n");
      return { status: Number(out.slice(cut + 1)) || 0, body: out.slice(0, Math.max(cut, 0)) };
    },
  };
  return router;
}

/** What a write acknowledged with a 2xx set: the app's desired instances and the page it serves. */
export interface Acked {
  instances: number;
  page: string;
}

/**
 * A steady load of pushes (a new app, or new bits for one) and scales, one write at a time through
 * any replica that answers. A write that fails is retried until acknowledged, so `acked` is what
 * the cluster must show once it has recovered.
 */
export class Load {
  readonly acked = new Map<string, Acked>();
  /** apps whose last write was abandoned unanswered: it may or may not have applied */
  readonly uncertain = new Set<string>();
  writes = 0;
  retries = 0;
  private stopped = false;
  private giveUpAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(
    private readonly cluster: DrillCluster,
    private readonly options: { everyMs: number; maxApps: number; prefix: string },
  ) {}

  start(): void {
    this.stopped = false;
    this.giveUpAt = Number.POSITIVE_INFINITY;
    this.running = this.loop();
  }

  /** stops after the write in flight is acknowledged (or abandoned after `graceMs`) */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopped = true;
    this.giveUpAt = Date.now() + graceMs;
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      await this.step();
      await sleep(Math.max(0, this.options.everyMs - (Date.now() - started)));
    }
  }

  private async step(): Promise<void> {
    const n = this.seq++;
    const apps = [...this.acked.keys()];
    if (apps.length === 0 || (n % 3 === 0 && apps.length < this.options.maxApps)) {
      const app = `${this.options.prefix}${apps.length}`;
      const page = `${app} v${n}\n`;
      const json = { name: app, command: "httpd -f -p $PORT -h /home/vcap/app", instances: 1, memory_mb: 32 };
      if (!(await this.write(app, "POST", "/v1/apps", { json }))) return;
      this.acked.set(app, { instances: 1, page: "" });
      if (
        !(await this.write(app, "PUT", `/v1/apps/${app}/bits`, { body: await tarOf({ "index.html": page }) }))
      )
        return;
      this.acked.set(app, { instances: 1, page });
    } else if (n % 3 === 0) {
      const app = apps[n % apps.length] as string;
      const page = `${app} v${n}\n`;
      if (
        !(await this.write(app, "PUT", `/v1/apps/${app}/bits`, { body: await tarOf({ "index.html": page }) }))
      )
        return;
      this.acked.set(app, { ...(this.acked.get(app) as Acked), page });
    } else {
      const app = apps[n % apps.length] as string;
      const instances = 1 + (n % 3);
      if (!(await this.write(app, "PATCH", `/v1/apps/${app}`, { json: { instances } }))) return;
      this.acked.set(app, { ...(this.acked.get(app) as Acked), instances });
    }
  }

  /** retries until a 2xx; false when given up (the app's state is then uncertain) */
  private async write(
    app: string,
    method: string,
    path: string,
    init: { json?: unknown; body?: Buffer },
  ): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        if (Date.now() > this.giveUpAt) {
          this.uncertain.add(app);
          return false;
        }
        this.retries++;
        await sleep(250);
      }
      const response = await this.cluster.call(path, { method, ...init }).catch(() => undefined);
      // a create retried after a lost answer finds its app: it was acknowledged by then
      if (response && (response.ok || (method === "POST" && response.status === 409 && attempt > 0))) {
        await response.body?.cancel();
        this.writes++;
        this.uncertain.delete(app);
        return true;
      }
      await response?.body?.cancel();
    }
  }

  /** the acknowledged state of every app whose last write is known */
  settled(): Map<string, Acked> {
    return new Map([...this.acked].filter(([app, want]) => !this.uncertain.has(app) && want.page !== ""));
  }
}

interface InstanceRow {
  id: string;
  index: number;
  revision: number;
  state: string;
  cell: { name: string } | null;
}

/** What a drill measured: each invariant held or not, and the time to recover. */
export interface DrillResult {
  drill: string;
  /** ms from the fault until every app had its acknowledged count RUNNING (undefined: never) */
  countsMs: number | undefined;
  /** ms from the fault until the router served every app's acknowledged page */
  routesMs: number | undefined;
  /** every acknowledged scale and push shown by the api */
  noWriteLost: boolean;
  /** longest time one index of one revision ran twice */
  longestDuplicateMs: number;
  duplicatesOk: boolean;
  /** extra, drill-specific figures (e.g. leader takeover) */
  extra: Record<string, number | string | boolean>;
  held: boolean;
}

/**
 * Runs one drill: `fault` is injected under load; then waits (up to `timeoutMs`) for every app's
 * acknowledged count RUNNING and its acknowledged page through the router, watching for duplicates.
 * `fault` may return a `recover` step run once the invariants are being watched (e.g. restart).
 */
export async function runDrill(
  cluster: DrillCluster,
  load: Load,
  name: string,
  fault: (extra: DrillResult["extra"]) => Promise<void>,
  options: { timeoutMs?: number; settleMs?: number } = {},
): Promise<DrillResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const extra: DrillResult["extra"] = {};
  // some load before the fault, so it lands on a cluster that is busy
  await sleep(options.settleMs ?? 1_500);
  const watch = new DuplicateWatch(cluster);
  watch.start();
  const start = Date.now();
  let countsMs: number | undefined;
  let routesMs: number | undefined;
  let noWriteLost = false;
  try {
    await fault(extra);
    // the load keeps running while the cluster recovers; then stops, and its last writes must show
    while (Date.now() - start < timeoutMs && (countsMs === undefined || routesMs === undefined)) {
      const acked = load.settled();
      if (countsMs === undefined && (await countsHold(cluster, acked))) countsMs = Date.now() - start;
      if (routesMs === undefined && (await routesHold(cluster, acked))) routesMs = Date.now() - start;
      await sleep(250);
    }
    await load.stop();
    const settleBy = Date.now() + Math.min(timeoutMs, 30_000);
    let counts = false;
    let routes = false;
    // a write is lost only if the api never shows it: one read that fails while a part restarts is not
    while (Date.now() < settleBy && !(counts && routes && noWriteLost)) {
      counts = counts || (await countsHold(cluster, load.settled(), extra));
      routes = routes || (await routesHold(cluster, load.settled(), extra));
      noWriteLost = noWriteLost || (await writesShown(cluster, load.settled(), extra));
      if (!(counts && routes && noWriteLost)) await sleep(250);
    }
    // under load the latest write may always be in flight: then they hold only once it stops
    countsMs = counts ? (countsMs ?? Date.now() - start) : undefined;
    routesMs = routes ? (routesMs ?? Date.now() - start) : undefined;
  } finally {
    await watch.stop();
    load.start();
  }
  // containers vs desired: a pile-up shows as many more containers than instances wanted
  const desired = [...load.acked.values()].reduce((sum, a) => sum + a.instances, 0);
  const held = await Promise.all(cluster.cells.map((c) => cluster.containers(c)));
  extra.containers = `${held.join("+")} (peak ${watch.containersPeak}, desired ${desired})`;
  const longestDuplicateMs = watch.longestMs;
  // a duplicate may outlive one round by the time the stop takes and our sampling period
  const duplicatesOk = longestDuplicateMs <= cluster.convergenceMs + 1_500;
  return {
    drill: name,
    countsMs,
    routesMs,
    noWriteLost,
    longestDuplicateMs,
    duplicatesOk,
    extra,
    held: countsMs !== undefined && routesMs !== undefined && noWriteLost && duplicatesOk,
  };
}

async function instancesOf(cluster: DrillCluster, app: string): Promise<InstanceRow[] | undefined> {
  const response = await cluster.call(`/v1/apps/${app}/instances`).catch(() => undefined);
  if (!response?.ok) return undefined;
  return ((await response.json()) as { items: InstanceRow[] }).items;
}

async function countsHold(
  cluster: DrillCluster,
  acked: Map<string, Acked>,
  miss?: DrillResult["extra"],
): Promise<boolean> {
  for (const [app, want] of acked) {
    const rows = await instancesOf(cluster, app);
    if (!rows) return false;
    const latest = Math.max(...rows.map((r) => r.revision));
    const up = rows.filter((r) => r.state === "RUNNING" && r.revision === latest);
    if (new Set(up.map((r) => r.index)).size !== want.instances || up.length !== want.instances) {
      if (miss) {
        const states = rows
          .filter((r) => r.state !== "STOPPED")
          .map((r) => `${r.index}/${r.revision}/${r.state}@${r.cell?.name.slice(-1) ?? "-"}`);
        miss.countMiss = `${app}:want ${want.instances}:${states.join(",")}`;
      }
      return false;
    }
  }
  if (miss) delete miss.countMiss;
  return true;
}

async function routesHold(
  cluster: DrillCluster,
  acked: Map<string, Acked>,
  miss?: DrillResult["extra"],
): Promise<boolean> {
  for (const [app, want] of acked) {
    const { status, body } = await cluster.router.get(app);
    if (status !== 200 || body !== want.page) {
      if (miss) miss.routeMiss = `${app}:${status}:${body.trim().slice(0, 40)}!=${want.page.trim()}`;
      return false;
    }
  }
  if (miss) delete miss.routeMiss;
  return true;
}

async function writesShown(
  cluster: DrillCluster,
  acked: Map<string, Acked>,
  miss: DrillResult["extra"],
): Promise<boolean> {
  for (const [app, want] of acked) {
    const response = await cluster.call(`/v1/apps/${app}`).catch(() => undefined);
    if (!response?.ok) {
      miss.writeMiss = `${app}:read ${response?.status ?? "failed"}`;
      await response?.body?.cancel();
      return false;
    }
    const shown = (await response.json()) as { instances: number };
    if (shown.instances !== want.instances) {
      miss.writeMiss = `${app}:instances ${shown.instances}!=${want.instances}`;
      return false;
    }
    // the page: the router serves only RUNNING instances of the app, all on the acknowledged bits
    const { status, body } = await cluster.router.get(app);
    if (body !== want.page) {
      miss.writeMiss = `${app}:page ${status}:${body.trim().slice(0, 40)}!=${want.page.trim()}`;
      return false;
    }
  }
  delete miss.writeMiss;
  return true;
}

/** Samples every app's instances; an index of one revision RUNNING twice is a duplicate. */
class DuplicateWatch {
  longestMs = 0;
  /** the most containers the cells held at once */
  containersPeak = 0;
  private readonly since = new Map<string, number>();
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly cluster: DrillCluster) {}

  start(): void {
    this.running = (async () => {
      while (!this.stopped) {
        await this.sample();
        await sleep(500);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async sample(): Promise<void> {
    const held = await Promise.all(this.cluster.cells.map((c) => this.cluster.containers(c)));
    this.containersPeak = Math.max(
      this.containersPeak,
      held.reduce((a, b) => a + b, 0),
    );
    const response = await this.cluster.call("/v1/apps").catch(() => undefined);
    if (!response?.ok) return;
    const apps = ((await response.json()) as { items: { name: string }[] }).items;
    const now = Date.now();
    const seen = new Set<string>();
    for (const { name } of apps) {
      const rows = await instancesOf(this.cluster, name);
      if (!rows) return; // unknown this round: keep what is tracked
      const count = new Map<string, number>();
      for (const r of rows.filter((x) => x.state === "RUNNING")) {
        const key = `${name}/${r.revision}/${r.index}`;
        count.set(key, (count.get(key) ?? 0) + 1);
      }
      for (const [key, n] of count) if (n > 1) seen.add(key);
    }
    for (const key of seen) {
      const first = this.since.get(key) ?? now;
      this.since.set(key, first);
      this.longestMs = Math.max(this.longestMs, now - first);
    }
    for (const key of [...this.since.keys()]) if (!seen.has(key)) this.since.delete(key);
  }
}

/** Resolves once `check` answers true (polling every 100 ms); the ms it took, or undefined at `timeoutMs`. */
export async function timeUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - start;
    await sleep(100);
  }
  return undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The drill results as an aligned table. */
export function drillTable(results: DrillResult[]): string {
  const ms = (v: number | undefined) => (v === undefined ? "never" : `${(v / 1000).toFixed(1)} s`);
  const rows = [
    ["drill", "held", "counts back", "routes back", "no write lost", "longest duplicate", "other"],
    ...results.map((r) => [
      r.drill,
      r.held ? "yes" : "NO",
      ms(r.countsMs),
      ms(r.routesMs),
      r.noWriteLost ? "yes" : "NO",
      `${ms(r.longestDuplicateMs)}${r.duplicatesOk ? "" : " (NO)"}`,
      Object.entries(r.extra)
        .map(([k, v]) => `${k}=${typeof v === "number" ? ms(v) : v}`)
        .join(" "),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")).join("\n");
}
