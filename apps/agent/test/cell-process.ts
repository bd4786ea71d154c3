import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { appendFile, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { cellName, createCellRuntime } from "@grove/garden-server";
import { forwardLoopbackPort, stopChild, type TestHost, waitForOutput } from "@grove/testkit/services";
import { pino } from "pino";
import { VolumeStore } from "../src/volume-store";

const MAIN = join(import.meta.dirname, "../src/main.ts");
/** Debian's libfaketime (package faketime) */
const FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

export interface CellProcess {
  name: string;
  stateDir: string;
  /** the netns host it runs on, if any */
  host: TestHost | undefined;
  child: ChildProcess;
  /** the agent's log lines so far (JSON) */
  logs: string[];
  /** the port of the running agent's /metrics, /livez and /readyz (on 127.0.0.1 of its host) */
  statusPort: number | undefined;
  /**
   * starts the agent process (again, after `kill`); `clockSkew` runs it under libfaketime with its
   * wall clock moved by that much (e.g. "+120s"; monotonic time stays true)
   */
  start(options?: { clockSkew?: string }): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** stops the agent, then destroys its containers, network and cgroups, and detaches its volumes */
  remove(): Promise<void>;
}

/**
 * A cell agent run as its own process (`src/main.ts`), so a test can SIGKILL it like a crash. Each
 * cell gets its own state dir, bridge, subnet, port pool, nft tables and cgroup parent.
 */
export function cellProcess(options: {
  name: string;
  stateDir: string;
  /** `TestNats.env("join")` */
  natsEnv: Record<string, string>;
  joinToken: string;
  heartbeatMs?: number;
  /**
   * A netns "host" the agent runs in (its address is the cell's); NATS, on the machine's loopback,
   * is forwarded into it at the same ports. Default: the machine's own network, address 127.0.0.1.
   */
  host?: TestHost;
  /** NATS's ports (every server's, for a cluster), forwarded into `host` */
  natsPorts?: readonly number[];
  /** a file its output is appended to as well */
  logFile?: string;
  /** more agent settings (e.g. GROVE_STARTS_AT_ONCE) */
  env?: Record<string, string>;
}): CellProcess {
  const host = options.host;
  const bridge = options.name.slice(0, 15);
  const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 256)}.0/24`;
  const portStart = 40_000 + randomInt(0, 200) * 100;
  const env = {
    ...process.env,
    ...options.natsEnv,
    GROVE_JOIN_TOKEN: options.joinToken,
    GROVE_STATE_DIR: options.stateDir,
    GROVE_CELL_NAME: options.name,
    GROVE_CELL_ADDRESS: host?.address ?? "127.0.0.1",
    GROVE_BRIDGE: bridge,
    GROVE_SUBNET: subnet,
    GROVE_PORT_POOL_START: String(portStart),
    GROVE_PORT_POOL_SIZE: "100",
    GROVE_HEARTBEAT_MS: String(options.heartbeatMs ?? 500),
    GROVE_CELL_MEMORY_MB: "4096",
    GROVE_LOG_LEVEL: "info",
    GROVE_STATUS_PORT: "0",
    ...options.env,
  };
  let forwarder: { close(): Promise<void> } | undefined;
  const cell: CellProcess = {
    name: options.name,
    stateDir: options.stateDir,
    host,
    child: undefined as unknown as ChildProcess,
    logs: [],
    statusPort: undefined,
    async start(startOptions = {}) {
      if (host && !forwarder) {
        if (!options.natsPorts) throw new Error("a cell on a netns host needs natsPorts");
        forwarder = await forwardLoopbackPort(host, options.natsPorts);
      }
      const skew = startOptions.clockSkew;
      const command = [process.execPath, "--import", "tsx", MAIN];
      const [file, ...args] = host ? ["nsenter", `--net=${host.netnsPath}`, "--", ...command] : command;
      // libfaketime preloaded into the agent itself (the `faketime` wrapper would fork it, so a
      // kill would reach only the wrapper)
      const faked = skew
        ? { LD_PRELOAD: FAKETIME_LIB, FAKETIME: skew, FAKETIME_DONT_FAKE_MONOTONIC: "1" }
        : {};
      const child = spawn(file as string, args, {
        env: { ...env, ...faked },
        stdio: ["ignore", "pipe", "pipe"],
      });
      cell.child = child;
      const logFile = options.logFile;
      const collect = (chunk: Buffer) => {
        cell.logs.push(...chunk.toString().split("\n").filter(Boolean));
        if (logFile) void appendFile(logFile, chunk).catch(() => {});
      };
      const ready = waitForOutput(child, /"agent running"/, 60_000, `agent ${options.name}`);
      child.stdout?.on("data", collect);
      child.stderr?.on("data", collect);
      await ready;
      const running = cell.logs.findLast((line) => line.includes('"agent running"'));
      cell.statusPort = running ? (JSON.parse(running) as { statusPort?: number }).statusPort : undefined;
    },
    async kill(signal = "SIGKILL") {
      if (cell.child) await stopChild(cell.child, signal);
    },
    async remove() {
      const step = (label: string, run: () => Promise<void>) =>
        watched(`${options.name} ${label}`, options.stateDir, run);
      await step("agent stop", () => cell.kill("SIGTERM"));
      await step("nats forwarder close", async () => {
        await forwarder?.close();
        forwarder = undefined;
      });
      // the agent is gone; a runc call it started that never returned would hold the cleanup below,
      // so this cell's leftover processes (its containers' monitors too) go first
      await step("leftover processes kill", () => killProcessesUsing(options.stateDir));
      try {
        await step("containers and network destroy", async () => {
          const runtime = await createCellRuntime({
            ...(host ? { hostNetns: host.netnsPath } : {}),
            stateDir: options.stateDir,
            bridge,
            subnet,
            name: cellName(bridge),
            externalIP: host?.address ?? "127.0.0.1",
            portPool: { start: portStart, end: portStart + 99 },
            log: pino({ level: "silent" }),
          });
          await runtime.destroyAll();
        });
      } finally {
        // containers held the volumes' mounts; now each mount and loop device goes (images stay in the dir)
        const log = pino({ level: "silent" });
        await step("volumes detach", () =>
          new VolumeStore({ dir: join(options.stateDir, "volumes"), ownerId: 0, log }).detachAll(),
        );
      }
    },
  };
  return cell;
}

/**
 * Runs one step of a cell's removal; one that takes long says so on stderr while it runs, with the
 * processes still naming the cell's state dir (a cleanup that hangs shows where, even when the
 * test's hook times out).
 */
export async function watched(
  label: string,
  stateDir: string | undefined,
  run: () => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 1000);
  const timer = setInterval(() => {
    void (stateDir ? processesUsing(stateDir) : Promise.resolve([])).then((found) =>
      process.stderr.write(
        `cleanup: ${label} still running after ${seconds()} s; processes naming the state dir: ${
          found.map((p) => `${p.pid} [${p.state}] ${p.cmdline}`).join("; ") || "none"
        }\n`,
      ),
    );
  }, 30_000);
  try {
    await run();
  } finally {
    clearInterval(timer);
    if (seconds() >= 15) process.stderr.write(`cleanup: ${label} took ${seconds()} s\n`);
  }
}

async function processesUsing(dir: string): Promise<{ pid: number; state: string; cmdline: string }[]> {
  const found: { pid: number; state: string; cmdline: string }[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const argv = (await readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (!argv.some((arg) => arg.startsWith(dir))) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    found.push({ pid: Number(name), state, cmdline: argv.join(" ").trim().slice(0, 200) });
  }
  return found;
}

/** SIGKILLs every process whose command line names `dir` (a cell's grove-monitor and runc calls). */
async function killProcessesUsing(dir: string): Promise<void> {
  for (const { pid } of await processesUsing(dir)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
}
