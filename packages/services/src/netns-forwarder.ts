import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const INNER_FORWARDER = `
const net = require("node:net");
const [socketPath, port] = process.argv.slice(1);
const server = net.createServer((inbound) => {
  const outbound = net.connect(socketPath);
  inbound.pipe(outbound).pipe(inbound);
  inbound.on("error", () => outbound.destroy());
  outbound.on("error", () => inbound.destroy());
});
server.listen(Number(port), "127.0.0.1", () => console.log("forwarding"));
`;

/**
 * Makes a loopback service of this machine (NATS on 127.0.0.1:`port`, say) reachable inside the
 * network namespace at `netnsPath` at the same 127.0.0.1:`port`, so a process run there (an agent on
 * a netns host) uses the same URL and TLS name. A unix socket carries the bytes across (paths are
 * not per network namespace): a listener in the namespace pipes each connection to it, and this
 * process pipes it on to the service. Nothing is opened on any network; `close()` stops both ends.
 */
export async function forwardLoopbackPort(
  host: { netnsPath: string; name: string },
  port: number,
): Promise<{ close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "gfw-"));
  const socketPath = join(dir, "s");
  const open = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(port, "127.0.0.1");
    for (const socket of [inbound, outbound]) {
      open.add(socket);
      socket.once("close", () => open.delete(socket));
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const inner = spawn(
    "nsenter",
    [`--net=${host.netnsPath}`, "--", process.execPath, "-e", INNER_FORWARDER, socketPath, String(port)],
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
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of open) socket.destroy();
    await closed;
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
