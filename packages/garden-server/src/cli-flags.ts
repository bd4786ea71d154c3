import { dirname, join } from "node:path";
import { z } from "zod";

/**
 * The flags of `grove-garden`, named after the reference server's (`gdn server`) where they
 * overlap. Parsed once at start-up; a bad flag fails with one line naming it.
 */

export class UsageError extends Error {}

/** Go's time.ParseDuration subset the reference flags accept ("5m", "1h30m", "250ms", "0"), or bare ns. */
export function parseGoDuration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new UsageError(`not a duration: ${JSON.stringify(text)} (want e.g. 5m, 30s, 1h)`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] ?? ""] ?? 0), 0));
}

const flagNames = {
  "bind-ip": "string",
  "bind-port": "string",
  "bind-socket": "string",
  depot: "string",
  "state-dir": "string",
  "image-store": "string",
  "runtime-plugin": "string",
  "runtime-root": "string",
  "cgroup-parent": "string",
  "default-grace-time": "string",
  "max-containers": "string",
  "network-pool": "string",
  "network-name": "string",
  bridge: "string",
  "external-ip": "string",
  "port-pool-start": "string",
  "port-pool-size": "string",
  "disable-privileged-containers": "boolean",
  "deny-privileged": "boolean",
  "allow-privileged": "boolean",
  "bind-mount-source-roots": "string",
  "log-level": "string",
  "debug-bind-ip": "string",
  "debug-bind-port": "string",
  help: "boolean",
} as const;

type FlagName = keyof typeof flagNames;

/** `--name value`, `--name=value` and bare boolean flags; anything else is a UsageError. */
export function splitFlags(argv: string[]): Partial<Record<FlagName, string | boolean>> {
  const out: Partial<Record<FlagName, string | boolean>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const match = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const name = match[1] as FlagName;
    const kind = flagNames[name];
    if (!kind) throw new UsageError(`unknown flag --${match[1]}`);
    if (kind === "boolean") {
      out[name] = match[2] === undefined ? true : match[2] !== "false";
    } else if (match[2] !== undefined) {
      out[name] = match[2];
    } else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`flag --${name} needs a value`);
      out[name] = value;
      i++;
    }
  }
  return out;
}

const port = z.coerce.number().int().min(1).max(65535);
const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "want an IPv4 CIDR like 10.254.0.0/22");

const flagSchema = z
  .object({
    "bind-ip": z.ipv4().or(z.ipv6()).optional(),
    "bind-port": port.optional(),
    "bind-socket": z.string().min(1).optional(),
    depot: z.string({ error: "--depot DIR is required" }).min(1, "--depot DIR is required"),
    "state-dir": z.string().min(1).optional(),
    "image-store": z.string().min(1).optional(),
    "runtime-plugin": z.string().min(1).default("runc"),
    "runtime-root": z.string().min(1).optional(),
    "cgroup-parent": z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "want a relative cgroup path")
      .default("grove-garden"),
    "default-grace-time": z.string().default("0"),
    "max-containers": z.coerce.number().int().min(1).optional(),
    // not 10.254.0.0/22 (Guardian's default): that is the single node's and the agent's
    "network-pool": cidr.default("10.252.0.0/22"),
    "network-name": z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,19}$/, "want a letter then [a-z0-9_-], <= 20 chars")
      .default("grovegarden"),
    bridge: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, "want a device name of <= 15 chars")
      .default("grove-garden0"),
    "external-ip": z.ipv4().optional(),
    "port-pool-start": port.default(61001),
    "port-pool-size": z.coerce.number().int().min(1).default(4534),
    "disable-privileged-containers": z.boolean().default(false),
    "deny-privileged": z.boolean().default(false),
    "allow-privileged": z.boolean().default(false),
    "bind-mount-source-roots": z
      .string()
      .regex(/^\/[^,]*(,\/[^,]*)*$/, "want absolute directories separated by commas")
      .optional(),
    "log-level": z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
    "debug-bind-ip": z.ipv4().optional(),
    "debug-bind-port": port.optional(),
  })
  .strict();

export interface GardenCommandConfig {
  listen: { socketPath: string } | { host: string; port: number };
  depotDir: string;
  imageStoreDir: string;
  runtimePath: string;
  runtimeRoot: string;
  /** network state and anything without its own flag live here */
  stateDir: string;
  cgroupParent: string;
  defaultGraceTimeNs: number;
  maxContainers: number | undefined;
  network: { subnet: string; name: string; bridge: string; externalIP: string | undefined };
  portPool: { start: number; end: number };
  allowPrivileged: boolean;
  /** host directories bind-mount sources may lie in; empty = no host bind mounts */
  bindMountSourceRoots: string[];
  logLevel: string;
  /** where /debug/vars is served (Guardian's --debug-bind-ip/--debug-bind-port); none by default */
  debug: { host: string; port: number } | undefined;
}

/** Reads argv into the command's settings; throws UsageError with one line on any bad flag. */
export function parseGardenFlags(argv: string[]): GardenCommandConfig | "help" {
  const raw = splitFlags(argv);
  if (raw.help) return "help";
  const parsed = flagSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue?.path[0];
    const message = issue?.message ?? "invalid flags";
    throw new UsageError(flag && !message.startsWith("--") ? `--${String(flag)}: ${message}` : message);
  }
  const f = parsed.data;
  if (f["bind-socket"] && (f["bind-ip"] || f["bind-port"])) {
    throw new UsageError("give either --bind-socket or --bind-ip/--bind-port, not both");
  }
  if (f["port-pool-start"] + f["port-pool-size"] - 1 > 65535) {
    throw new UsageError("--port-pool-size: the pool would end above port 65535");
  }
  const stateDir = f["state-dir"] ?? join(dirname(f.depot), "garden-state");
  const listen =
    f["bind-ip"] || f["bind-port"]
      ? { host: f["bind-ip"] ?? "127.0.0.1", port: f["bind-port"] ?? 7777 }
      : { socketPath: f["bind-socket"] ?? "/tmp/garden.sock" };
  const deny = f["disable-privileged-containers"] || f["deny-privileged"];
  if (deny && f["allow-privileged"]) throw new UsageError("--allow-privileged contradicts --deny-privileged");
  return {
    listen,
    depotDir: f.depot,
    imageStoreDir: f["image-store"] ?? join(stateDir, "images"),
    runtimePath: f["runtime-plugin"],
    runtimeRoot: f["runtime-root"] ?? join(stateDir, "runc"),
    stateDir,
    cgroupParent: f["cgroup-parent"],
    defaultGraceTimeNs: flagDuration("default-grace-time", f["default-grace-time"]),
    maxContainers: f["max-containers"],
    network: {
      subnet: f["network-pool"],
      name: f["network-name"],
      bridge: f.bridge,
      externalIP: f["external-ip"],
    },
    portPool: { start: f["port-pool-start"], end: f["port-pool-start"] + f["port-pool-size"] - 1 },
    allowPrivileged: !deny,
    bindMountSourceRoots: f["bind-mount-source-roots"]?.split(",") ?? [],
    logLevel: f["log-level"],
    debug:
      f["debug-bind-port"] !== undefined
        ? { host: f["debug-bind-ip"] ?? "127.0.0.1", port: f["debug-bind-port"] }
        : undefined,
  };
}

function flagDuration(flag: string, text: string): number {
  try {
    return parseGoDuration(text);
  } catch (error) {
    throw new UsageError(`--${flag}: ${(error as Error).message}`);
  }
}

export const usage = `usage: grove-garden --depot DIR [--bind-socket PATH | --bind-ip IP --bind-port PORT] [flags]
       grove-garden cleanup --depot DIR [flags]   destroy every container, the bridge, rules and depot state

  --bind-socket PATH              unix socket to serve on (default /tmp/garden.sock)
  --bind-ip IP, --bind-port PORT  TCP address to serve on instead (default port 7777)
  --depot DIR                     container depot, the truth about what exists (required)
  --state-dir DIR                 runc state, images and network state (default <depot>/../garden-state)
  --image-store DIR               rootfs layer store (default <state-dir>/images)
  --runtime-plugin PATH           OCI runtime binary (default runc)
  --runtime-root DIR              the runtime's --root (default <state-dir>/runc)
  --cgroup-parent NAME            cgroup parent of all containers (default grove-garden)
  --default-grace-time DURATION   e.g. 5m; 0 = containers never expire (default 0)
  --max-containers N              capacity limit
  --network-pool CIDR             container subnet (default 10.252.0.0/22)
  --network-name NAME             names nft tables and netns (default grovegarden)
  --bridge NAME                   bridge device (default grove-garden0)
  --external-ip IP                address NetIn maps on (default: first non-loopback IPv4)
  --port-pool-start N             first NetIn host port (default 61001)
  --port-pool-size N              number of NetIn host ports (default 4534)
  --bind-mount-source-roots D,D   host directories bind-mount sources may lie in (default: none allowed)
  --disable-privileged-containers refuse privileged containers (alias --deny-privileged)
  --log-level LEVEL               trace|debug|info|warn|error (default info)
  --debug-bind-ip IP, --debug-bind-port PORT  serve /debug/vars (expvar-style memstats) there`;
