import { availableParallelism } from "node:os";
import { z } from "zod";

/** The router's configuration, from the environment, parsed once at start-up. */
export const RouterConfig = z.object({
  NATS_URL: z.string().min(1).default("nats://127.0.0.1:4222"),
  /** PEM file of the CA that signed the NATS servers' certificates (TLS with that CA when set) */
  GROVE_NATS_CA: z.string().min(1).optional(),
  /** the router's NATS user `.creds` (it may only receive route messages and announce itself) */
  GROVE_NATS_CREDS: z.string().min(1).optional(),
  GROVE_ROUTER_HOST: z.string().default("0.0.0.0"),
  GROVE_ROUTER_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** /metrics, /livez, /readyz */
  GROVE_ROUTER_STATUS_PORT: z.coerce.number().int().min(0).max(65535).default(8082),
  GROVE_ROUTER_PRUNE_SECONDS: z.coerce.number().int().positive().default(120),
  GROVE_ROUTER_REGISTER_INTERVAL_SECONDS: z.coerce.number().int().positive().default(20),
  /**
   * GET/HEAD requests pipelined on one kept-alive connection to an endpoint; 1 = no pipelining.
   * More is faster, but a slow response holds back what is queued behind it and a stalled request
   * is sent again (an endpoint may see a GET twice): only for apps that are fine with that.
   */
  GROVE_ROUTER_PIPELINE_DEPTH: z.coerce.number().int().min(1).max(64).default(1),
  /** seconds an instance may take to begin its response before the client gets a 502 */
  GROVE_ROUTER_ENDPOINT_TIMEOUT_SECONDS: z.coerce.number().positive().default(60),
  /** connections to one instance at most; further requests wait for one to come free */
  GROVE_ROUTER_MAX_CONNS_PER_INSTANCE: z.coerce.number().int().positive().default(500),
  /**
   * processes that proxy, sharing the port (like gorouter using every core); 1 = the router runs in
   * one process with no supervisor
   */
  GROVE_ROUTER_WORKERS: z.coerce.number().int().min(1).max(64).default(availableParallelism()),
  GROVE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type RouterConfig = z.output<typeof RouterConfig>;

/** Parses the environment; on a bad value throws one line naming the variable. */
export function parseRouterConfig(env: NodeJS.ProcessEnv): RouterConfig {
  const result = RouterConfig.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(`invalid router configuration: ${issue?.path.join(".")}: ${issue?.message}`);
}
