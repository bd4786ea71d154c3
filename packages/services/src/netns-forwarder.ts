import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const INNER_FORWARDER = `
const net = require("node:net");
const [dir, ...ports] = process.argv.slice(1);
let listening = 0;
for (const port of ports) {
  const server = net.createServer((inbound) => {
    const outbound = net.connect(dir + "/" + port);
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
  });
  server.listen(Number(port), "127.0.0.1", () => {
    if (++listening === ports.length) console.log("forwarding");
  });
}
`;

/**
 * Makes a loopback service of this machine (NATS on 127.0.0.1:`port`, say; or several ports, a
 * cluster's) reachable inside the network namespace at `netnsPath` at the same 127.0.0.1:`port`, so
 * a process run there (an agent on a netns host) uses the same URL and TLS name. A unix socket per
 * port carries the bytes across (paths are not per network namespace): one process in the namespace
 * listens on every port and pipes each connection to its socket, and this process pipes it on to the
 * service. Nothing is opened on any network; `close()` stops both ends.
 */
export async function forwardLoopbackPort(
  host: { netnsPath: string; name: string },
  port: number | readonly number[],
): Promise<{ close(): Promise<void> }> {
  const ports = typeof port === "number" ? [port] : port;
  const dir = await mkdtemp(join(tmpdir(), "gfw-"));
  const open = new Set<Socket>();
  const servers = ports.map((target) =>
    createServer((inbound) => {
      const outbound = connect(target, "127.0.0.1");
      for (const socket of [inbound, outbound]) {
        open.add(socket);
        socket.once("close", () => open.delete(socket));
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.on("error", () => outbound.destroy());
      outbound.on("error", () => inbound.destroy());
    }),
  );
  await Promise.all(
    servers.map(
      (server, i) => new Promise<void>((resolve) => server.listen(join(dir, String(ports[i])), resolve)),
    ),
  );
  const inner = spawn(
    "nsenter",
    [`--net=${host.netnsPath}`, "--", process.execPath, "-e", INNER_FORWARDER, dir, ...ports.map(String)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const ended = new Promise<void>((resolve) => inner.once("close", () => resolve()));
  let stderr = "";
  inner.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const close = async () => {
    inner.kill("SIGKILL");
    await ended;
    // server.close waits for every connection to end: one whose far side never closes would hold it
    const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const socket of open) socket.destroy();
    await Promise.all(closed);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`forwarder in ${host.name} did not start`)), 30_000);
      inner.stdout?.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("forwarding")) {
          clearTimeout(timer);
          resolve();
        }
      });
      void ended.then(() => reject(new Error(`forwarder in ${host.name} ended: ${stderr}`)));
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}
