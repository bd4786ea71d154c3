import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import type { CellProcess } from "../cell-process";

/**
 * The network namespace of an instance's container, from its cell's networker state. A probe run
 * in it sends exactly what a process in the container could send.
 */
export async function instanceNetns(cell: CellProcess, instanceId: string): Promise<string> {
  const state = JSON.parse(await readFile(join(cell.stateDir, "network", "network.json"), "utf8")) as {
    containers: Record<string, { netnsPath: string }>;
  };
  const record = state.containers[instanceId];
  if (!record) throw new Error(`instance ${instanceId} has no network on ${cell.name}`);
  return record.netnsPath;
}

const HTTP_GET = `
const [host, port, timeout] = process.argv.slice(1);
const req = require("node:http").get({ host, port: Number(port), path: "/", timeout: Number(timeout) }, (res) => {
  let body = "";
  res.on("data", (d) => { body += d; });
  res.on("end", () => console.log(JSON.stringify({ ok: true, status: res.statusCode, body })));
});
req.on("timeout", () => { console.log(JSON.stringify({ ok: false, code: "TIMEOUT" })); process.exit(0); });
req.on("error", (e) => { console.log(JSON.stringify({ ok: false, code: e.code })); process.exit(0); });
`;

export type GetResult = { ok: true; status: number; body: string } | { ok: false; code: string };

/** An HTTP GET of `http://host:port/` from inside `netns`. */
export async function getFrom(
  netns: string,
  host: string,
  port: number,
  timeoutMs = 1_500,
): Promise<GetResult> {
  const out = await execa("nsenter", [
    `--net=${netns}`,
    "--",
    "node",
    "-e",
    HTTP_GET,
    host,
    String(port),
    String(timeoutMs),
  ]);
  return JSON.parse(String(out.stdout)) as GetResult;
}

const UDP_LISTENER = `
const s = require("node:dgram").createSocket("udp4");
s.on("message", (m) => console.log(String(m)));
s.bind(Number(process.argv[1]), () => console.log("listening"));
`;

/** A UDP listener inside `netns` recording every datagram's text. */
export async function udpListener(netns: string, port: number) {
  const listener = nodeIn(netns, UDP_LISTENER, [String(port)]);
  await listener.waitFor("listening", 10_000);
  const lines = () => listener.output().split("\n");
  return {
    lines,
    waitFor: (line: string, timeoutMs = 5_000) => listener.waitFor(`\n${line}\n`, timeoutMs),
    stop: listener.stop,
  };
}

/** Sends one datagram from inside `netns`, from its address `source`. */
export async function udpSend(
  netns: string,
  source: string,
  host: string,
  port: number,
  text: string,
): Promise<void> {
  const script = `const s = require("node:dgram").createSocket("udp4");
s.bind(0, process.argv[1], () => s.send(process.argv[4], Number(process.argv[3]), process.argv[2], () => s.close()));`;
  await execa("nsenter", [`--net=${netns}`, "--", "node", "-e", script, source, host, String(port), text]);
}

const LINE_ECHO = `
require("node:net").createServer((c) => c.pipe(c)).listen(Number(process.argv[1]), () => console.log("listening"));
`;

const SESSION = `
const c = require("node:net").connect({ host: process.argv[1], port: Number(process.argv[2]) }, () => console.log("connected"));
process.stdin.pipe(c);
c.pipe(process.stdout);
c.on("error", (e) => { console.log("error:" + e.code); process.exit(1); });
`;

/** A node process in `netns` whose output lines a test can wait for. */
function nodeIn(netns: string, script: string, args: string[]) {
  const child: ResultPromise = execa("nsenter", [`--net=${netns}`, "--", "node", "-e", script, ...args], {
    reject: false,
    buffer: false,
  });
  let out = "";
  const waiters: (() => void)[] = [];
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (needle: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${JSON.stringify(needle)} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = () => {
        if (out.includes(needle)) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return {
    child,
    waitFor,
    output: () => out,
    async stop() {
      child.kill("SIGKILL");
      await child;
    },
  };
}

/** A TCP server in `netns` echoing whatever it receives, for long-lived connections. */
export async function echoServer(netns: string, port: number) {
  const server = nodeIn(netns, LINE_ECHO, [String(port)]);
  await server.waitFor("listening", 10_000);
  return { stop: server.stop };
}

/** An open TCP connection from `netns`: `roundTrip` sends a line and waits for its echo. */
export async function openSession(netns: string, host: string, port: number) {
  const session = nodeIn(netns, SESSION, [host, String(port)]);
  await session.waitFor("connected", 10_000);
  return {
    async roundTrip(text: string, timeoutMs = 3_000) {
      session.child.stdin?.write(`${text}\n`);
      await session.waitFor(`${text}\n`, timeoutMs);
    },
    /** Resolves with the ms it took once a round trip fails (the connection is cut); rejects after `timeoutMs`. */
    async cutWithin(timeoutMs = 10_000): Promise<number> {
      const from = performance.now();
      while (performance.now() - from < timeoutMs) {
        const text = `probe-${Math.round(performance.now())}`;
        session.child.stdin?.write(`${text}\n`);
        try {
          await session.waitFor(`${text}\n`, 300);
        } catch {
          return performance.now() - from;
        }
      }
      throw new Error(`the connection still passes data after ${timeoutMs} ms`);
    },
    close: session.stop,
  };
}
