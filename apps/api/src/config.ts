import { ArchiveLimitsEnv } from "@grove/images/archive";
import { z } from "zod";
import { parseSubnetRange, type SubnetRange } from "./network/subnet-lease";

const logLevel = z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);
const positiveInt = z.coerce.number().int().positive();

/** What an api replica does: `http` serves the public API, `leader` competes to run the control loops. */
export type ApiRole = "http" | "leader";
const API_ROLES: readonly ApiRole[] = ["http", "leader"];
const apiRoles = z.string().transform((text, ctx): ReadonlySet<ApiRole> => {
  const named = text.split(",").map((role) => role.trim());
  const unknown = named.filter((role) => !API_ROLES.includes(role as ApiRole));
  if (unknown.length > 0 || new Set(named).size !== named.length)
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(text)}: must be http, leader or http,leader (each role once)`,
    });
  return new Set(named as ApiRole[]);
});

/** The api's environment, parsed once at start-up. */
export const ConfigSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  NATS_URL: z.string().min(1, "must name a NATS server"),
  /** PEM file of the CA that signed the NATS servers' certificates (TLS with that CA when set). */
  GROVE_NATS_CA: z.string().min(1).optional(),
  /** The api's NATS user credentials (`.creds`: user JWT + nkey seed). */
  GROVE_NATS_CREDS: z.string().min(1).optional(),
  /** The NATS authority (operator and account keys, JSON, mode 0600): signs cells' users and revocations. */
  GROVE_NATS_AUTHORITY: z.string().min(1, "must name the NATS authority file"),
  GROVE_API_PORT: z.coerce.number().int().min(0).max(65535).default(7070),
  GROVE_API_HOST: z.string().min(1).default("127.0.0.1"),
  /**
   * `http,leader` (default): serves the public API and competes for leadership. `http`: serves the
   * public API only, never leads, takes no cell messages. `leader`: competes for leadership and
   * answers cells; its port serves only /livez, /readyz and /metrics.
   */
  GROVE_API_ROLES: apiRoles.prefault("http,leader"),
  GROVE_LOG_LEVEL: logLevel.default("info"),
  GROVE_DOMAIN: z.string().min(1).default("grove.localhost"),
  /** An operator token upserted at start, so a fresh cluster can be administered at all. */
  GROVE_BOOTSTRAP_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** A tenant created at start if missing (single-node mode uses `default`). */
  GROVE_DEFAULT_TENANT: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label")
    .optional(),
  /** A cell whose heartbeats stop for this long is marked lost (Diego: 15 s). */
  GROVE_PRESENCE_TTL_MS: positiveInt.default(15_000),
  /**
   * A heartbeat that changes nothing (same instances, states, capacity) is stored only once the
   * stored one is this old; liveness is kept in the leader's memory from every heartbeat.
   */
  GROVE_HEARTBEAT_REFRESH_MS: positiveInt.default(15_000),
  /**
   * Stopped instances, superseded revisions no instance runs, spent join tokens (used up, expired,
   * revoked) are deleted, and lost cells removed, once this old (pruned every ten minutes).
   */
  GROVE_RETENTION_MS: positiveInt.default(24 * 3600_000),
  /** How often the leader converges and places without a trigger (changes and events wake it at once). */
  GROVE_CONVERGENCE_INTERVAL_MS: positiveInt.default(5_000),
  /**
   * Starts (instances) the leader has queued or in flight at most; the start pump claims more as they
   * go out. `GROVE_STARTS_PER_ROUND`, its former name (when rounds sent the starts), is read too.
   */
  GROVE_STARTS_QUEUED: positiveInt.default(5_000),
  /** Commands (start, stop, remove volume) the leader has in flight at once. */
  GROVE_COMMAND_CONCURRENCY: positiveInt.default(256),
  /**
   * A placed instance's start is sent again once its cell has neither been sent it nor accepted it
   * for this long and no event of it has come (commands are idempotent).
   */
  GROVE_START_RESEND_MS: positiveInt.default(15_000),
  /** Deliveries of a JetStream message whose processing keeps failing before it is dead-lettered. */
  GROVE_DEAD_LETTER_AFTER_DELIVERIES: positiveInt.default(5),
  /** First redelivery delay of a message whose processing failed; doubles per delivery up to 30 s. */
  GROVE_REDELIVERY_DELAY_MS: positiveInt.default(1_000),
  /** How often the leader registers every route with the routers again (gorouter: at least every 20 s). */
  GROVE_ROUTE_INTERVAL_MS: positiveInt.default(20_000),
  /** Largest JSON request body. */
  GROVE_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  /** Largest bits upload. */
  GROVE_MAX_BITS_BYTES: positiveInt.default(1024 * 1024 * 1024),
  /** The range every cell's container subnet is leased from (container addresses are unique in it). */
  GROVE_CELL_NETWORK: z.string().default("10.250.0.0/16"),
  /** The prefix length of each cell's subnet in GROVE_CELL_NETWORK (a /24: 253 containers a cell). */
  GROVE_CELL_SUBNET_PREFIX: z.coerce.number().int().min(9).max(28).default(24),
  /** A cell's lease lasts this long past its last heartbeat; then its subnet may go to another cell. */
  GROVE_SUBNET_LEASE_TTL_MS: positiveInt.default(60 * 60 * 1000),
  /** How cells reach each other's containers: host routes (cells on one L2) or VXLAN (any underlay). */
  GROVE_CELL_OVERLAY: z.enum(["routes", "vxlan"]).default("routes"),
  /**
   * Copies JetStream keeps of each of Grove's streams and object stores (3 on a 3-node NATS cluster).
   * Unset: streams keep the count they were made with (new ones: 1).
   */
  GROVE_JETSTREAM_REPLICAS: z.coerce.number().int().min(1).max(5).optional(),
  /**
   * Bytes of log lines kept per tenant (its own logs stream; a tenant over it loses its oldest
   * lines, never another tenant's). Also at most 1,000 lines per instance and 24 h.
   */
  GROVE_TENANT_LOG_BYTES: positiveInt.default(128 * 1024 * 1024),
  /** What an uploaded archive may hold (GROVE_ARCHIVE_MAX_*); agents must use the same values. */
  ...ArchiveLimitsEnv.shape,
});

/** The parsed, typed configuration of the api. */
export type Config = z.output<typeof ConfigSchema>;

/** Configuration that does not parse; the message names every bad field. */
export class InvalidConfig extends Error {
  constructor(readonly fields: { field: string; message: string }[]) {
    super(`invalid configuration: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`);
    this.name = "InvalidConfig";
  }
}

/**
 * Parses the api's configuration from the environment (empty strings count as unset). Throws
 * `InvalidConfig` naming each bad variable.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  present.GROVE_STARTS_QUEUED ??= present.GROVE_STARTS_PER_ROUND;
  delete present.GROVE_STARTS_PER_ROUND;
  const parsed = ConfigSchema.safeParse(present);
  if (parsed.success) {
    const range = parseSubnetRange(parsed.data.GROVE_CELL_NETWORK, parsed.data.GROVE_CELL_SUBNET_PREFIX);
    if (typeof range === "string") throw new InvalidConfig([{ field: "GROVE_CELL_NETWORK", message: range }]);
    return parsed.data;
  }
  throw new InvalidConfig(
    parsed.error.issues.map((issue) => ({ field: issue.path.join("."), message: issue.message })),
  );
}

/** The cluster network: the range cell subnets are leased from, the lease time and the overlay mode. */
export interface CellNetworkSettings {
  range: SubnetRange;
  ttlMs: number;
  mode: "routes" | "vxlan";
}

/** The cluster network from the configuration (validated by `loadConfig`). */
export function cellNetworkSettings(
  config: Pick<
    Config,
    "GROVE_CELL_NETWORK" | "GROVE_CELL_SUBNET_PREFIX" | "GROVE_SUBNET_LEASE_TTL_MS" | "GROVE_CELL_OVERLAY"
  >,
): CellNetworkSettings {
  const range = parseSubnetRange(config.GROVE_CELL_NETWORK, config.GROVE_CELL_SUBNET_PREFIX);
  if (typeof range === "string") throw new InvalidConfig([{ field: "GROVE_CELL_NETWORK", message: range }]);
  return { range, ttlMs: config.GROVE_SUBNET_LEASE_TTL_MS, mode: config.GROVE_CELL_OVERLAY };
}
