import type { ImageRef, NetInMapping, NetOutRule } from "./types";

/**
 * The three seams of the runtime, as in Guardian: the coordinator (garden.ts) talks only to these.
 * Each has one real implementation; tests of the coordinator's logic may use doubles, integration
 * tests use the real ones.
 */

/** Root filesystems. Implemented by @grove/images (it does not import this file; shapes match). */
export interface Volumizer {
  /** Builds (or reuses, when it already exists for this handle) a copy-on-write rootfs. */
  create(req: RootfsRequest): Promise<RootfsInfo>;
  /** Unmounts and deletes everything create made; a missing handle is not an error. */
  destroy(handle: string): Promise<void>;
  /**
   * Disk use of the container's writable layer, and of its image's read-only layers beneath
   * (Garden's total = image + writable, exclusive = writable).
   */
  metrics(handle: string): Promise<{
    bytesUsed: number;
    inodesUsed: number;
    image?: { bytesUsed: number; inodesUsed: number };
  }>;
}

export interface RootfsRequest {
  handle: string;
  image: ImageRef;
  /** read-only directories stacked on top of the image, lowest first (e.g. app bits) */
  layers?: string[];
  /** null = privileged (no user namespace); otherwise container root maps to hostId */
  uidMapping: { hostId: number; size: number } | null;
  /** hard limit on the container's disk (ENOSPC past it) */
  diskLimitBytes?: number;
  /** "total" counts the image's layers against the limit (Garden's default), "exclusive" only what the container writes */
  diskLimitScope?: "total" | "exclusive";
}

export interface RootfsInfo {
  /** mounted rootfs directory to put in config.json root.path */
  path: string;
  /** image config defaults (OCI images): env, working dir, user */
  env?: string[];
  workingDir?: string;
  user?: string;
}

/** Network namespaces, addresses, NetIn/NetOut. */
export interface Networker {
  /**
   * Wires the container's network namespace and gives it an address (idempotent per handle).
   * The garden passes `netnsPath`: the namespace the runtime made for the container (e.g.
   * `/proc/<init pid>/ns/net`), owned by the container's user namespace. It must be adopted
   * (e.g. bind-mounted to a stable path that `down` removes), not replaced: a namespace made by
   * the host would belong to the host's user namespace, and an unprivileged container's peas
   * (which the runtime joins to it) could not join it. Without `netnsPath` the networker creates the namespace itself.
   */
  up(handle: string, opts: { network?: string; netnsPath?: string }): Promise<ContainerNetwork>;
  netIn(handle: string, hostPort: number, containerPort: number): Promise<NetInMapping>;
  netOut(handle: string, rules: NetOutRule[]): Promise<void>;
  stats(handle: string): Promise<{ rxBytes: number; txBytes: number }>;
  /** Removes namespace, veth, rules, port mappings and releases the address and ports. */
  down(handle: string): Promise<void>;
  /** After a restart: reloads allocations from disk; nothing running is touched. */
  restore(): Promise<ContainerNetwork[]>;
}

export interface ContainerNetwork {
  handle: string;
  /** path to the network namespace to put in config.json (linux.namespaces network path) */
  netnsPath: string;
  containerIP: string;
  hostIP: string;
  externalIP: string;
  mappedPorts: NetInMapping[];
}
