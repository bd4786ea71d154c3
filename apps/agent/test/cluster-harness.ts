import { randomInt } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type RequestOptions, request } from "node:http";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf } from "@grove/api/testing";
import { cellName } from "@grove/garden-server";
import { type RunningRouter, startRouter } from "@grove/router";
import {
  createTestNetwork,
  makeTempDir,
  runId,
  type TestNats,
  type TestNetwork,
  type TestPostgres,
} from "@grove/testkit";
import { pino } from "pino";
import { onTestFinished } from "vitest";
import { type CellProcess, cellProcess, watched } from "./cell-process";

export interface InstanceView {
  id: string;
  index: number;
  state: string;
  cell: { id: string; name: string } | null;
  address: string | null;
  container_ip: string | null;
  ports: { container_port: number; host_port: number }[];
  crash_count: number;
  reason: string | null;
  usage: {
    cpu_percent: number;
    memory_bytes: number;
    memory_limit_bytes: number | null;
    disk_bytes: number;
    disk_limit_bytes: number | null;
    log_lines_dropped: number | null;
  } | null;
  /** while its cell pulls its image */
  pull?: { bytes: number; total: number } | null;
}

/** What a test does as the operator acting in one tenant. */
export interface TenantScope {
  /** api calls in the tenant as the operator */
  call: TestApi["call"];
  instances(app: string): Promise<InstanceView[]>;
  /** resolves with the RUNNING instances once there are exactly `count` of them */
  running(app: string, count: number, timeoutMs?: number): Promise<InstanceView[]>;
  /** creates the app with busybox httpd serving `index.html` and uploads its bits */
  pushWeb(app: string, instances: number): Promise<void>;
}

/** The cluster; its own calls act in the `default` tenant. */
export interface Cluster extends TenantScope {
  t: TestApi;
  cells: CellProcess[];
  router: RunningRouter;
  /** the same, acting in another tenant (which must exist) */
  tenant(name: string): TenantScope;
  /** joins one more cell (on a new netns host with `netnsHosts`) */
  addCell(): Promise<CellProcess>;
}

/**
 * A real cluster on this host: the api (in-process, real Postgres and NATS), `cellCount` agents as
 * their own processes with real runc, images and CNI networking, and the router. Everything is
 * removed when the test finishes, in order: router, cells (containers, mounts, networks), state dirs.
 */
export async function startCluster(
  pg: TestPostgres,
  nats: TestNats,
  options: {
    cellCount?: number;
    presenceTtlMs?: number;
    apiEnv?: Record<string, string>;
    /** each cell runs on its own netns host of a private test network (its address the host's) */
    netnsHosts?: boolean;
    /** each cell's heartbeat interval (default 500 ms) */
    heartbeatMs?: number;
    /** more settings for every cell's agent */
    cellEnv?: Record<string, string>;
  } = {},
): Promise<Cluster> {
  const t = await startTestApi(pg, nats, {
    GROVE_CONVERGENCE_INTERVAL_MS: "1000",
    GROVE_PRESENCE_TTL_MS: String(options.presenceTtlMs ?? 15_000),
    GROVE_DEFAULT_TENANT: "default",
    // the cluster's own range (cells lease /24s of it), apart from other clusters on this machine
    GROVE_CELL_NETWORK: `10.${randomInt(200, 250)}.${randomInt(0, 16) * 16}.0/20`,
    ...options.apiEnv,
  });
  const cleanups: (() => Promise<void>)[] = [];
  onTestFinished(async () => {
    // every step runs even when one fails (containers, mounts and hosts are never left behind)
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
    // each cell stops (up to 10 s grace) and destroys its containers: several cells under CI's load take minutes
  }, 240_000);
  let network: TestNetwork | undefined;
  if (options.netnsHosts) {
    const made = await createTestNetwork();
    network = made;
    // removed last: the cells' containers and networks go first, while their hosts still exist
    cleanups.push(() => watched("test network remove", undefined, () => made.remove()));
  }
  const cells: CellProcess[] = [];
  const addCell = async () => {
    const { token } = (await expectStatus(
      await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 1 } }),
      201,
    )) as { token: string };
    const dir = await makeTempDir("gc-");
    cleanups.push(() => dir.remove());
    const host = network ? await network.addHost() : undefined;
    const cell = cellProcess({
      name: `gc${runId}${"abcdefghijklmnop"[cells.length]}`,
      stateDir: dir.path,
      natsEnv: nats.env("join"),
      joinToken: token,
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.cellEnv ? { env: options.cellEnv } : {}),
      ...(host ? { host, natsPorts: nats.ports } : {}),
    });
    cleanups.push(() => cell.remove());
    cells.push(cell);
    await cell.start();
    return cell;
  };
  for (let i = 0; i < (options.cellCount ?? 2); i++) await addCell();
  const router = await startRouter({
    nats: nats.access("router"),
    log: pino({ level: "silent" }),
    host: "127.0.0.1",
    port: 0,
    statusPort: 0,
  });
  cleanups.push(() => watched("router close", undefined, () => router.close()));
  return {
    t,
    cells,
    router,
    ...tenantScope(t, "default"),
    tenant: (name) => tenantScope(t, name),
    addCell,
  };
}

/** Api calls, instance queries and pushes as the operator acting in `tenant`. */
function tenantScope(t: TestApi, tenant: string): TenantScope {
  const call: TestApi["call"] = (path, init = {}) =>
    t.call(path, { ...init, headers: { "x-grove-tenant": tenant, ...init.headers } });
  const instances = async (app: string) =>
    ((await expectStatus(await call(`/v1/apps/${app}/instances`), 200)) as { items: InstanceView[] }).items;
  return {
    call,
    instances,
    running: (app, count, timeoutMs = 90_000) =>
      eventually(async () => {
        const up = (await instances(app)).filter((i) => i.state === "RUNNING");
        return up.length === count ? up : undefined;
      }, timeoutMs),
    async pushWeb(app, count) {
      await expectStatus(
        await call("/v1/apps", {
          method: "POST",
          json: {
            name: app,
            command: "httpd -f -p $PORT -h /home/vcap/app",
            instances: count,
            memory_mb: 64,
          },
        }),
        201,
      );
      const bits = await tarOf({ "index.html": "hello from grove\n" });
      await expectStatus(await call(`/v1/apps/${app}/bits`, { method: "PUT", body: bits }), 200);
    },
  };
}

/**
 * SIGKILLs an instance's app processes as the kernel sees them (every process in the container's
 * pids cgroup but init), like a crash; answers how many there were.
 */
export async function killAppProcesses(cell: CellProcess, instanceId: string): Promise<number> {
  const cgroup = cellName(cell.name.slice(0, 15));
  const procs = (await readFile(`/sys/fs/cgroup/pids/${cgroup}/${instanceId}/cgroup.procs`, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b)
    .slice(1);
  let killed = 0;
  for (const pid of procs) {
    try {
      process.kill(pid, "SIGKILL");
      killed++;
    } catch (error) {
      // a process that exited between the read and the kill (a shell's short-lived child) is gone already
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }
  return killed;
}

/** Instances per cell name. */
export function spread(instances: InstanceView[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of instances) counts[i.cell?.name ?? "?"] = (counts[i.cell?.name ?? "?"] ?? 0) + 1;
  return counts;
}

export function httpGet(port: number, host?: string, path = "/"): Promise<{ status: number; body: string }> {
  return get({ host: "127.0.0.1", port, path, headers: host ? { host } : {} });
}

/** GET over a cell's Garden socket, as a Garden client would. */
export function gardenGet(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return get({ socketPath, path, headers: { host: "api" } });
}

function get(options: RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ path: "/", ...options }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.setTimeout(3_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

export { eventually, expectStatus };

/** The sum of a metric's samples whose labels include `labels`, in a Prometheus text exposition. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ?? "";
    if (Object.entries(labels).every(([key, value]) => present.includes(`${key}="${value}"`)))
      sum += Number(match[3]);
  }
  return sum;
}
