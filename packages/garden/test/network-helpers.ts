import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missingRequirements } from "@grove/testkit/services";
import { execa, type ResultPromise } from "execa";
import { pino } from "pino";
import { type CniNetworker, createNetworker, type NetworkerConfig } from "../src/network";

/** Why the network tests cannot run here, if they cannot; under CI=true that is a failure, not a skip. */
export function networkPrerequisites(): string | undefined {
  const missing = process.getuid?.() !== 0 ? "network tests need root" : missingRequirements(["network"])[0];
  if (missing && process.env.CI === "true")
    throw new Error(`CI=true and the network tests cannot run: ${missing}`);
  return missing;
}

export function shortRunId(): string {
  return randomBytes(3).toString("hex");
}

export async function sh(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args);
  return String(r.stdout);
}

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

/**
 * A "cell host" namespace and an "outside" namespace joined by a veth pair — the test's whole world:
 * the networker runs in the cell host (hostNetns mode), the outside namespace stands for the internet.
 */
export interface Topology {
  hostNetns: string;
  outsideNetns: string;
  /** cell host's address on the link: the cell's external IP */
  hostIP: string;
  outsideIP: string;
}

export async function createTopology(prefix: string): Promise<Topology> {
  const host = `${prefix}h`;
  const outside = `${prefix}o`;
  await sh("ip", ["netns", "add", host]);
  await sh("ip", ["netns", "add", outside]);
  await sh("ip", [
    "link",
    "add",
    `${prefix}a`,
    "netns",
    host,
    "type",
    "veth",
    "peer",
    "name",
    `${prefix}b`,
    "netns",
    outside,
  ]);
  const hostIP = "10.199.7.1";
  const outsideIP = "10.199.7.2";
  for (const [ns, dev, ip] of [
    [host, `${prefix}a`, hostIP],
    [outside, `${prefix}b`, outsideIP],
  ] as const) {
    await sh("ip", ["-n", ns, "addr", "add", `${ip}/24`, "dev", dev]);
    await sh("ip", ["-n", ns, "link", "set", dev, "up"]);
    await sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
  }
  return { hostNetns: netnsPath(host), outsideNetns: netnsPath(outside), hostIP, outsideIP };
}

/** Deletes every /run/netns entry whose name starts with `prefix` (the test's own, nothing else). */
export async function deleteNetnsWithPrefix(prefix: string): Promise<void> {
  const names = existsSync("/run/netns") ? readdirSync("/run/netns").filter((n) => n.startsWith(prefix)) : [];
  for (const name of names) await execa("ip", ["netns", "delete", name], { reject: false });
}

/**
 * A TCP server inside a netns: echoes every line starting with "echo:" at once (for long-lived
 * sessions), and when the client half-closes answers with the client's address as it saw it (so a
 * test can tell whether it was NATed) and closes.
 */
export interface EchoServer {
  stop(): Promise<void>;
}

const SERVER = `
const net = require("node:net");
const [host, port] = process.argv.slice(1);
net.createServer({ allowHalfOpen: true }, (c) => {
  let pending = "";
  c.on("data", (d) => {
    const lines = (pending + d).split("\\n");
    pending = lines.pop();
    for (const l of lines) if (l.startsWith("echo:")) c.write(l + "\\n");
  });
  c.on("end", () => c.end(c.remoteAddress + "\\n"));
}).listen(Number(port), host, () => console.log("listening"));
`;

export async function startEchoServer(netns: string, host: string, port: number): Promise<EchoServer> {
  const child: ResultPromise = execa(
    "nsenter",
    [`--net=${netns}`, "--", "node", "-e", SERVER, host, String(port)],
    {
      reject: false,
      buffer: false,
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo server in ${netns} did not start`)), 10_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("listening")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`echo server in ${netns} exited with ${code}`));
    });
  });
  return {
    async stop() {
      child.kill("SIGKILL");
      await child;
    },
  };
}

export type ConnectResult = { ok: true; data: string } | { ok: false; code: string };

const CLIENT = `
const net = require("node:net");
const [host, port, timeout, payloadBytes] = process.argv.slice(1);
const done = (r) => { console.log(JSON.stringify(r)); process.exit(0); };
const c = net.connect({ host, port: Number(port) });
let data = "";
c.setTimeout(Number(timeout), () => done({ ok: false, code: "TIMEOUT" }));
c.on("connect", () => c.end("x".repeat(Number(payloadBytes))));
c.on("data", (d) => { data += d; });
c.on("end", () => done({ ok: true, data: data.trim() }));
c.on("error", (e) => done({ ok: false, code: e.code }));
`;

/** Connects from inside `netns` and returns what the server said, or the error code. */
export async function tcpConnect(
  netns: string,
  host: string,
  port: number,
  opts: { timeoutMs?: number; payloadBytes?: number } = {},
): Promise<ConnectResult> {
  const out = await sh("nsenter", [
    `--net=${netns}`,
    "--",
    "node",
    "-e",
    CLIENT,
    host,
    String(port),
    String(opts.timeoutMs ?? 3000),
    String(opts.payloadBytes ?? 0),
  ]);
  return JSON.parse(out) as ConnectResult;
}

export async function nsRun(netns: string, cmd: string, args: string[]): Promise<string> {
  return sh("nsenter", [`--net=${netns}`, "--", cmd, ...args]);
}

/** A long-lived TCP connection from inside a netns, for proving that rule changes keep it alive. */
export interface Session {
  /** sends "echo:<text>" and resolves with the echoed line, or rejects after `timeoutMs` */
  roundTrip(text: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

const SESSION = `
const net = require("node:net");
const [host, port] = process.argv.slice(1);
const c = net.connect({ host, port: Number(port) }, () => console.log("connected"));
process.stdin.pipe(c);
c.pipe(process.stdout);
c.on("error", (e) => { console.log("error:" + e.code); process.exit(1); });
`;

export async function openSession(netns: string, host: string, port: number): Promise<Session> {
  const child: ResultPromise = execa(
    "nsenter",
    [`--net=${netns}`, "--", "node", "-e", SESSION, host, String(port)],
    {
      reject: false,
      buffer: false,
    },
  );
  let received = "";
  const waiters: (() => void)[] = [];
  child.stdout?.on("data", (chunk: Buffer) => {
    received += chunk.toString();
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (needle: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${JSON.stringify(needle)} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = () => {
        if (received.includes(needle)) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  await waitFor("connected", 10_000);
  return {
    async roundTrip(text, timeoutMs = 3000) {
      child.stdin?.write(`echo:${text}\n`);
      await waitFor(`echo:${text}\n`, timeoutMs);
      return text;
    },
    async close() {
      child.kill("SIGKILL");
      await child;
    },
  };
}

/**
 * An isolating cell network of its own: a topology, a networker on `subnet` in its cell host (the
 * config, to start it again as after a restart) and one cleanup for the servers, containers,
 * namespaces and state it made, run even when a test failed.
 */
export interface IsolatedCell {
  topo: Topology;
  config: NetworkerConfig;
  net: CniNetworker;
  /** echo servers to stop at cleanup */
  servers: EchoServer[];
  cleanup(): Promise<void>;
}

export async function isolatedCell(prefix: string, subnet: string): Promise<IsolatedCell> {
  const topo = await createTopology(prefix);
  const stateDir = await mkdtemp(join(tmpdir(), `grove-${prefix}-`));
  const config: NetworkerConfig = {
    stateDir,
    bridge: `${prefix}br`,
    subnet,
    name: prefix,
    externalIP: topo.hostIP,
    hostNetns: topo.hostNetns,
    isolateContainers: true,
    log: pino({ level: "silent" }),
  };
  const net = createNetworker(config);
  const servers: EchoServer[] = [];
  return {
    topo,
    config,
    net,
    servers,
    async cleanup() {
      for (const server of servers.splice(0)) await server.stop().catch(() => undefined);
      await net.destroyAll().catch(() => undefined);
      await deleteNetnsWithPrefix(prefix);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
