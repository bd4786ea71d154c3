import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { ArchiveLimitsEnv } from "@grove/images/archive";
import { z } from "zod";
import { EVENT_LINGER_MS } from "./instance-events";

const list = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** The agent's configuration, from the environment, parsed once at start-up. */
export const AgentConfig = z.object({
  NATS_URL: z.string().min(1),
  /** PEM file of the CA that signed the NATS servers' certificates (TLS with that CA when set) */
  GROVE_NATS_CA: z.string().min(1).optional(),
  /**
   * the bootstrap `join` user's `.creds`, needed only for the first start: the cell then gets its
   * own NATS user (key pair made here, JWT signed by the api) kept in the state dir
   */
  GROVE_NATS_CREDS: z.string().min(1).optional(),
  /** needed only for the first start; afterwards the cell identity in the state dir is used */
  GROVE_JOIN_TOKEN: z.string().optional(),
  /**
   * or a file holding it (systemd's LoadCredential: `%d/join-token`), read when GROVE_JOIN_TOKEN is
   * unset; a file that is gone is fine once the cell has joined
   */
  GROVE_JOIN_TOKEN_FILE: z.string().min(1).optional(),
  GROVE_STATE_DIR: z.string().min(1).default("/var/lib/grove/agent"),
  GROVE_CELL_NAME: z.string().min(1).default(hostname()),
  /** the address other hosts (router, other cells) reach this cell's mapped ports on */
  GROVE_CELL_ADDRESS: z.union([z.ipv4(), z.ipv6()]).default("127.0.0.1"),
  GROVE_CELL_ZONE: z.string().default("default"),
  GROVE_CELL_TAGS: list,
  GROVE_CELL_MEMORY_MB: z.coerce.number().int().positive().default(4096),
  GROVE_CELL_DISK_MB: z.coerce.number().int().positive().default(20_480),
  GROVE_CELL_MAX_CONTAINERS: z.coerce.number().int().positive().default(250),
  /** a process's stdout/stderr file is moved aside (to .1) at this size, so output cannot fill the disk */
  GROVE_OUTPUT_CAP_MB: z.coerce.number().int().positive().default(16),
  GROVE_HEARTBEAT_MS: z.coerce.number().int().positive().default(5_000),
  /**
   * how long an instance event waits for others to go in the same message (once the api takes
   * batches): fewer, fuller messages in a burst of starts, each event at most this much later; 0: none
   */
  GROVE_EVENT_LINGER_MS: z.coerce.number().int().min(0).max(5_000).default(EVENT_LINGER_MS),
  /**
   * containers made at once (the rest wait their turn): a burst of starts leaves cores to the
   * cell's other work; teardowns have a lane of their own that starts never hold up
   */
  GROVE_STARTS_AT_ONCE: z.coerce.number().int().positive().max(64).default(3),
  GROVE_TEARDOWNS_AT_ONCE: z.coerce.number().int().positive().max(64).default(3),
  GROVE_RUNTIME: z.string().default("runc"),
  /**
   * cell network: bridge, subnet and NetIn port pool; unique per cell on one machine. The subnet is
   * the one the api leases at join (GROVE_SUBNET only serves cells that joined before leases).
   */
  GROVE_BRIDGE: z.string().max(15).default("grove0"),
  GROVE_SUBNET: z.string().default("10.254.0.0/22"),
  /**
   * where the cell's resolver forwards names that are not app-internal (comma-separated IPv4);
   * default: the host's resolv.conf. Containers query only the cell's resolver (the bridge address).
   */
  GROVE_DNS_RESOLVERS: list.pipe(z.array(z.ipv4())),
  GROVE_PORT_POOL_START: z.coerce.number().int().min(1024).max(65000).default(61001),
  GROVE_PORT_POOL_SIZE: z.coerce.number().int().positive().default(4000),
  /** /metrics, /livez and /readyz (0: any free port, logged at start) */
  GROVE_STATUS_PORT: z.coerce.number().int().min(0).max(65535).default(8083),
  /** loopback by default: a scraper on the cell host (or set the host's address) */
  GROVE_STATUS_HOST: z.string().min(1).default("127.0.0.1"),
  GROVE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** unpacked app bits past this size are removed, least recently used first; bits in use stay */
  GROVE_BITS_CACHE_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 ** 3),
  /**
   * docker apps' image layers (unpacked, re-owned copies and blobs) past this size are removed,
   * least recently used first; what a container uses or a pull under way needs stays
   */
  GROVE_IMAGE_STORE_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 ** 3),
  /** an image blob download getting no byte for this long is stopped and continued with Range */
  GROVE_IMAGE_BLOB_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** what app bits may hold (GROVE_ARCHIVE_MAX_*); set them as on the api */
  ...ArchiveLimitsEnv.shape,
});
export type AgentConfig = z.output<typeof AgentConfig>;

/** Parses the environment; on a bad value throws one line naming the variable. */
export function parseAgentConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const result = AgentConfig.safeParse(env);
  if (result.success) {
    const file = result.data.GROVE_JOIN_TOKEN_FILE;
    if (result.data.GROVE_JOIN_TOKEN || !file) return result.data;
    return { ...result.data, GROVE_JOIN_TOKEN: readJoinToken(file) };
  }
  const issue = result.error.issues[0];
  throw new Error(`invalid agent configuration: ${issue?.path.join(".")}: ${issue?.message}`);
}

function readJoinToken(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`invalid agent configuration: GROVE_JOIN_TOKEN_FILE: ${(error as Error).message}`);
  }
}
