import type { HealthCheck } from "@grove/client";
import { UsageError } from "./errors";

/**
 * Parses `--health-check`: `port`, `port:8081`, `process`, `http:/path` or `http:8081:/path`.
 *
 * @example
 * parseHealthCheck("http:/healthz") // { type: "http", path: "/healthz" }
 */
export function parseHealthCheck(text: string): HealthCheck {
  const bad = () =>
    new UsageError(`invalid health check "${text}": use port, port:PORT, process or http:/PATH`);
  if (text === "process") return { type: "process" };
  if (text === "port") return { type: "port" };
  const port = /^port:(\d{1,5})$/.exec(text);
  if (port) return { type: "port", port: portNumber(port[1], bad) };
  const http = /^http:(?:(\d{1,5}):)?(\/.*)$/.exec(text);
  if (http) {
    const path = http[2] as string;
    return http[1] === undefined
      ? { type: "http", path }
      : { type: "http", port: portNumber(http[1], bad), path };
  }
  throw bad();
}

function portNumber(text: string | undefined, bad: () => UsageError): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad();
  return port;
}
