/**
 * Garden's container model, in TypeScript spelling. The wire server (garden-server) maps these to
 * and from the Go field names of the Garden protocol; nothing here knows about HTTP or the cluster.
 */

export interface BindMount {
  srcPath: string;
  dstPath: string;
  mode: "ro" | "rw";
  origin: "host" | "container";
}

export interface MemoryLimits {
  limitInBytes?: number;
}
export interface CpuLimits {
  weight?: number;
  limitInShares?: number;
}
export interface PidLimits {
  max?: number;
}
export interface DiskLimits {
  byteSoft?: number;
  byteHard?: number;
  inodeSoft?: number;
  inodeHard?: number;
  scope?: "total" | "exclusive";
}
export interface BandwidthLimits {
  rateInBytesPerSecond?: number;
  burstRateInBytesPerSecond?: number;
}
export interface Limits {
  memory?: MemoryLimits;
  cpu?: CpuLimits;
  pid?: PidLimits;
  disk?: DiskLimits;
  bandwidth?: BandwidthLimits;
}

export interface PortRange {
  start: number;
  end: number;
}
export interface IPRange {
  start: string;
  end: string;
}
export interface NetOutRule {
  protocol: "all" | "tcp" | "udp" | "icmp";
  networks?: IPRange[];
  ports?: PortRange[];
  icmps?: { type: number; code?: number };
  log?: boolean;
}
export interface NetInMapping {
  hostPort: number;
  containerPort: number;
}

export interface ImageRef {
  /** "" = default stack; a rootfs dir or tarball path; docker://host:port/repo#tag; oci:///layout */
  uri: string;
  username?: string;
  password?: string;
}

export interface ContainerSpec {
  handle?: string;
  /** nanoseconds; 0 = never expire */
  graceTimeNs?: number;
  image?: ImageRef;
  /** extra read-only layers (directories) stacked on the image, lowest first; e.g. app bits */
  layers?: string[];
  bindMounts?: BindMount[];
  /** fixed "a.b.c.d/n"; default: allocated from the cell subnet */
  network?: string;
  properties?: Record<string, string>;
  /** "KEY=value" */
  env?: string[];
  privileged?: boolean;
  limits?: Limits;
  netOut?: NetOutRule[];
  netIn?: NetInMapping[];
}

export interface Rlimits {
  as?: number;
  core?: number;
  cpu?: number;
  data?: number;
  fsize?: number;
  locks?: number;
  memlock?: number;
  msgqueue?: number;
  nice?: number;
  nofile?: number;
  nproc?: number;
  rss?: number;
  rtprio?: number;
  sigpending?: number;
  stack?: number;
}

export interface WindowSize {
  columns: number;
  rows: number;
}

export interface ProcessSpec {
  /** default: generated */
  id?: string;
  path: string;
  args?: string[];
  env?: string[];
  dir?: string;
  /** user name or uid[:gid] inside the container; default "root" */
  user?: string;
  rlimits?: Rlimits;
  limits?: Limits;
  tty?: { windowSize?: WindowSize };
  /** non-empty: a pea — its own rootfs, sharing the container's net/pid/ipc/uts namespaces */
  image?: ImageRef;
  bindMounts?: BindMount[];
  /**
   * Hold output for its reader: the process blocks on its output once it is the output cap ahead
   * of what readers acknowledged (`ReadOptions.acknowledge`), so nothing is rotated away unread.
   * Without it output never waits (a reader far behind loses what was rotated away).
   */
  holdOutput?: boolean;
}

/**
 * What a process can be sent: SIGINT (Ctrl-C), SIGTERM, SIGKILL. Garden's wire protocol has only
 * terminate and kill; interrupt is for the runtime's other users (the agent's `grove exec`).
 */
export type Signal = "interrupt" | "terminate" | "kill";

export interface ContainerInfo {
  state: "active" | "stopped";
  events: string[];
  hostIP: string;
  containerIP: string;
  externalIP: string;
  containerPath: string;
  processIDs: string[];
  properties: Record<string, string>;
  mappedPorts: NetInMapping[];
}

export interface ContainerMetrics {
  memoryStat: Record<string, number>;
  cpuStat: { usage: number; user: number; system: number };
  diskStat: {
    totalBytesUsed: number;
    totalInodesUsed: number;
    exclusiveBytesUsed: number;
    exclusiveInodesUsed: number;
  };
  networkStat: { rxBytes: number; txBytes: number };
  pidStat: { current: number; max: number };
  /** nanoseconds since creation */
  ageNs: number;
  cpuEntitlement: number;
}

export interface Capacity {
  memoryInBytes: number;
  diskInBytes: number;
  schedulableDiskInBytes: number;
  maxContainers: number;
}
