import { request } from "node:http";
import { connect } from "node:net";
import type { HealthCheck } from "@grove/protocol";

/**
 * One probe of an instance: a TCP connect (port), an HTTP GET answering 2xx (http), or nothing
 * (process: the process being alive is the check, which the caller watches). Resolves true when healthy.
 */
export function probe(
  check: HealthCheck,
  address: string,
  defaultPort: number | undefined,
): Promise<boolean> {
  if (check.type === "process") return Promise.resolve(true);
  const port = check.port ?? defaultPort;
  if (port === undefined) return Promise.resolve(false);
  return check.type === "port"
    ? tcpProbe(address, port, check.timeoutMs)
    : httpProbe(address, port, check.path, check.timeoutMs);
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (healthy: boolean) => {
      socket.destroy();
      resolve(healthy);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host, port, path, timeout: timeoutMs, headers: { "user-agent": "grove-health" } },
      (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** The first wait between start probes; each next wait doubles, up to `startIntervalMs`. */
export const FIRST_START_PROBE_MS = 100;

/**
 * Probes until healthy (true) or until `startTimeoutMs` passes or `cancelled()` (false), every
 * `startIntervalMs` as Diego does while an instance starts, after first probes 100, 200, 400… ms
 * apart: most processes listen within a second, and an instance that waited out a whole interval
 * for its second probe would be RUNNING (and routed) up to 2 s late.
 */
export async function waitHealthy(
  check: HealthCheck,
  address: string,
  defaultPort: number | undefined,
  cancelled: () => boolean,
): Promise<boolean> {
  const deadline = Date.now() + check.startTimeoutMs;
  let wait = Math.min(FIRST_START_PROBE_MS, check.startIntervalMs);
  while (!cancelled()) {
    if (await probe(check, address, defaultPort)) return true;
    if (Date.now() + wait > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, check.startIntervalMs);
  }
  return false;
}
