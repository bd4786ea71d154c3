import { type ChildProcess, spawn } from "node:child_process";
import { createServer, request } from "node:http";
import { join } from "node:path";
import { freePort, stopChild, type TestNats, waitForOutput } from "@grove/testkit/services";
import { onTestFinished } from "vitest";

const ROUTER_MAIN = join(import.meta.dirname, "../../router/src/main.ts");

export interface RouterProcess {
  port: number;
  /** GET / through the router with this Host header: status and body */
  get(host: string): Promise<{ status: number; body: string }>;
  kill(): Promise<void>;
}

/**
 * Grove's router as its own process (`apps/router/src/main.ts`, one worker) on loopback, following
 * the routes on `nats` (as the router's NATS user); stopped when the test finishes.
 */
export async function routerProcess(nats: TestNats): Promise<RouterProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", ROUTER_MAIN], {
    env: {
      ...process.env,
      ...nats.env("router"),
      GROVE_ROUTER_HOST: "127.0.0.1",
      GROVE_ROUTER_PORT: String(port),
      GROVE_ROUTER_STATUS_PORT: String(await freePort()),
      GROVE_ROUTER_WORKERS: "1",
      GROVE_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onTestFinished(() => stopChild(child));
  await waitForOutput(child, /"router listening"/, 30_000, "router");
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    port,
    get: (host) => get(port, host),
    kill: () => stopChild(child),
  };
}

/** An HTTP server on loopback answering every request with `body`, standing in for an instance. */
export async function backend(body: string): Promise<number> {
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("backend has no port");
  return address.port;
}

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.setTimeout(3_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}
