import { cpus } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { InvalidSpec } from "./errors";

/** The highest id a user namespace can map to (2^32 - 2: -1 means "no id"). */
const MAX_HOST_ID = 4_294_967_294;

/**
 * Container uid/gid 0 maps to host 100000, and the mapping reaches the highest host id, so an
 * image that runs as a high uid (OpenShift-style images use ids around 10^9) has it mapped
 * unless `uidMapping` says otherwise.
 */
export const DEFAULT_UID_MAPPING = { hostId: 100000, size: MAX_HOST_ID - 100000 + 1 } as const;

/** Settings of one garden instance. Everything that could collide between instances is here. */
export interface GardenConfig {
  /** Directory holding one subdirectory per container: the truth about what exists. */
  depotDir: string;
  /** OCI runtime binary (anything speaking runc's CLI); default "runc". */
  runtimePath?: string;
  /** The runtime's state directory (`--root`), one per garden instance. */
  runtimeRoot: string;
  /** Cgroup parent: containers live at `/<cgroupParent>/<handle>` in every v1 hierarchy. */
  cgroupParent: string;
  /** Unprivileged containers: container uid/gid 0 maps to hostId, for `size` ids. */
  uidMapping?: { hostId: number; size: number };
  allowPrivileged?: boolean;
  /**
   * Host directories a "host" bind mount's source may lie in (after symlinks); any other source
   * is refused with BindMountRefused. Default none: no host bind mounts.
   */
  bindMountSourceRoots?: string[];
  /** Grace time of containers whose spec has none, in ns; 0 = never expire. */
  defaultGraceTimeNs?: number;
  maxContainers?: number;
  /** Where the monitor binary is compiled to; default `<depotDir>/.bin`. */
  binDir?: string;
  /** How long a finished process stays attachable. */
  processRetentionMs?: number;
  /** How often the grace-time reaper looks at containers. */
  reapIntervalMs?: number;
  /** How long `stop` sends SIGTERM before it sends SIGKILL. */
  stopTimeoutMs?: number;
  /**
   * Size at which a process's stdout or stderr file is moved aside (to `stdout.1`, replacing the
   * one before) and started again: at most twice this much per stream stays on disk. 16 MiB.
   */
  outputCapBytes?: number;
  /**
   * Nameservers (IPv4) written to every container's /etc/resolv.conf, a read-only bind mount of a
   * file in its depot dir (Guardian's --dns-server). Default none: the image's own file stays.
   */
  dnsServers?: string[];
  logger?: Logger;
}

export type ResolvedConfig = Required<Omit<GardenConfig, "logger">> & { logger: Logger };

/** Fills in defaults and rejects settings that cannot work, naming the field. */
export function resolveConfig(config: GardenConfig): ResolvedConfig {
  if (!config.depotDir) throw new InvalidSpec("config.depotDir is required");
  if (!config.runtimeRoot) throw new InvalidSpec("config.runtimeRoot is required");
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(config.cgroupParent ?? "")) {
    throw new InvalidSpec(`config.cgroupParent must be a relative cgroup path, got "${config.cgroupParent}"`);
  }
  const uidMapping = config.uidMapping ?? { ...DEFAULT_UID_MAPPING };
  if (uidMapping.hostId <= 0 || uidMapping.size <= 0)
    throw new InvalidSpec("config.uidMapping must be positive");
  if (uidMapping.hostId + uidMapping.size - 1 > MAX_HOST_ID)
    throw new InvalidSpec(`config.uidMapping must end at host id ${MAX_HOST_ID} or below`);
  const dnsServers = config.dnsServers ?? [];
  for (const server of dnsServers) {
    if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(server) || server.split(".").some((octet) => Number(octet) > 255))
      throw new InvalidSpec(`config.dnsServers: ${JSON.stringify(server)} is not an IPv4 address`);
  }
  return {
    depotDir: config.depotDir,
    runtimePath: config.runtimePath ?? "runc",
    runtimeRoot: config.runtimeRoot,
    cgroupParent: config.cgroupParent,
    uidMapping,
    allowPrivileged: config.allowPrivileged ?? true,
    bindMountSourceRoots: config.bindMountSourceRoots ?? [],
    defaultGraceTimeNs: config.defaultGraceTimeNs ?? 0,
    maxContainers: config.maxContainers ?? Math.max(1, cpus().length * 125),
    binDir: config.binDir ?? join(config.depotDir, ".bin"),
    processRetentionMs: config.processRetentionMs ?? 60_000,
    reapIntervalMs: config.reapIntervalMs ?? 1_000,
    stopTimeoutMs: config.stopTimeoutMs ?? 10_000,
    outputCapBytes: config.outputCapBytes ?? 16 * 1024 * 1024,
    dnsServers,
    logger: config.logger ?? pino({ name: "garden", level: process.env.GROVE_LOG_LEVEL ?? "info" }),
  };
}
