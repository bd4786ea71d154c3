import { HealthCheck } from "@grove/protocol";
import { z } from "@hono/zod-openapi";

const port = z.int().min(1).max(65535);
const timing = {
  timeout_ms: z.int().min(1).max(600_000).optional(),
  start_interval_ms: z.int().min(100).max(600_000).optional(),
  interval_ms: z.int().min(100).max(600_000).optional(),
  start_timeout_ms: z.int().min(1).max(3_600_000).optional(),
};

/** The health check as the public API spells it (snake_case; omitted timings take the defaults). */
export const HealthCheckBody = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("port"), port: port.optional(), ...timing }),
    z.object({
      type: z.literal("http"),
      port: port.optional(),
      path: z.string().startsWith("/").max(1024),
      ...timing,
    }),
    z.object({ type: z.literal("process"), ...timing }),
  ])
  .openapi("HealthCheck");
export type HealthCheckBody = z.output<typeof HealthCheckBody>;

/** API form → the protocol's form (what is stored and sent to agents), with defaults applied. */
export function toProtocolHealthCheck(body: HealthCheckBody): HealthCheck {
  return HealthCheck.parse({
    type: body.type,
    ...("port" in body && body.port !== undefined ? { port: body.port } : {}),
    ...("path" in body ? { path: body.path } : {}),
    timeoutMs: body.timeout_ms,
    startIntervalMs: body.start_interval_ms,
    intervalMs: body.interval_ms,
    startTimeoutMs: body.start_timeout_ms,
  });
}

/** Stored (protocol) form → API form. */
export function toApiHealthCheck(stored: Record<string, unknown>): HealthCheckBody {
  const check = HealthCheck.parse(stored);
  const timings = {
    timeout_ms: check.timeoutMs,
    start_interval_ms: check.startIntervalMs,
    interval_ms: check.intervalMs,
    start_timeout_ms: check.startTimeoutMs,
  };
  if (check.type === "process") return { type: "process", ...timings };
  if (check.type === "http") return { type: "http", port: check.port, path: check.path, ...timings };
  return { type: "port", port: check.port, ...timings };
}
