import { chmod, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  createGarden,
  createNetworker,
  type Garden,
  gatewayOf,
  type NetworkPolicy,
  type OverlayConfig,
  type OverlayPlan,
  type PeerRules,
  type RemoteSubnet,
  removeCgroupTree,
} from "@grove/garden";
import { createImages, ensureNodeLayer, type ImageRef, type PullProgress } from "@grove/images";
import type { Logger } from "pino";

/** The stacks a cell offers, each as read-only layers on the busybox base. */
export const STACKS = ["busybox", "node"] as const;

export interface CellRuntimeOptions {
  /** holds depot, images, network and runtime state unless given one by one below */
  stateDir: string;
  /** cell bridge, ≤ 15 chars; unique per cell on one machine */
  bridge: string;
  /** the cell's container subnet, e.g. 10.254.0.0/22 */
  subnet: string;
  /** names nft tables and netns; unique per cell */
  name: string;
  /** the cell's address, where NetIn ports are reachable */
  externalIP: string;
  portPool: { start: number; end: number };
  depotDir?: string;
  imageStoreDir?: string;
  runtimeRoot?: string;
  /** default: `name` */
  cgroupParent?: string;
  runtimePath?: string;
  maxContainers?: number;
  /** size at which a process's stdout/stderr file is moved aside (garden's outputCapBytes) */
  outputCapBytes?: number;
  allowPrivileged?: boolean;
  defaultGraceTimeNs?: number;
  /** host directories bind-mount sources may lie in (garden's bindMountSourceRoots); default none */
  bindMountSourceRoots?: string[];
  /** containers reach each other only where `setPeerRules` allows (the networker's isolateContainers) */
  isolateContainers?: boolean;
  /** a network namespace standing for the cell's host (the networker's hostNetns); default: this process's */
  hostNetns?: string;
  /** other cells' containers reached directly by address (the networker's overlay) */
  overlay?: OverlayConfig;
  /** the image store removes unused layers past this size, least recently used first (default: no limit) */
  imageStoreMaxBytes?: number;
  /** an image blob download getting no byte for this long is stopped and continued (default 60 s) */
  imageBlobIdleTimeoutMs?: number;
  /** nameservers of every container's /etc/resolv.conf (garden's dnsServers); default: the image's */
  dnsServers?: string[];
  log: Logger;
}

export interface CellRuntime {
  garden: Garden;
  /** the cell bridge's own address, the first of its subnet (where a cell service meets containers) */
  gateway: string;
  /** the layers `stack` adds on the busybox base; unknown stack → throws */
  stackLayers(stack: string): Promise<string[]>;
  /** fetches an image into the store ahead of a create, telling bytes of the total as it goes */
  pullImage(image: ImageRef, onProgress?: (progress: PullProgress) => void): Promise<void>;
  /** replaces what containers may open to each other, atomically (with `isolateContainers`) */
  setPeerRules(rules: PeerRules): Promise<void>;
  /** routes the other cells' container subnets (with `overlay`), replacing the routes set before */
  setRemoteSubnets(remotes: readonly RemoteSubnet[]): Promise<OverlayPlan>;
  /** replaces peer rules and egress in one nft transaction and cuts flows no longer allowed */
  setPolicy(policy: NetworkPolicy): Promise<{ flowsCut: number }>;
  close(): Promise<void>;
  /** Destroys every container, the cell's network (bridge, rules) and its cgroups: removes the cell. */
  destroyAll(): Promise<void>;
}

/** The name of a cell's nft tables, netns and cgroup parent, derived from its bridge. */
export function cellName(bridge: string): string {
  return `grove-${bridge.replace(/[^a-z0-9]/g, "")}`.slice(0, 20);
}

/**
 * One cell's runtime: garden over runc with the image store as volumizer and the networker,
 * the pieces the agent and `grove-garden` both serve.
 */
export async function createCellRuntime(options: CellRuntimeOptions): Promise<CellRuntime> {
  const { stateDir, log } = options;
  const depotDir = options.depotDir ?? join(stateDir, "depot");
  const imagesDir = options.imageStoreDir ?? join(stateDir, "images");
  const cgroupParent = options.cgroupParent ?? options.name;
  await mkdir(stateDir, { recursive: true });
  // user-namespaced containers must traverse to their rootfs under these dirs
  for (const dir of new Set([stateDir, dirname(imagesDir)])) await chmod(dir, 0o755).catch(() => {});
  const images = createImages({
    storeDir: imagesDir,
    log: log.child({ component: "images" }),
    ...(options.imageStoreMaxBytes !== undefined ? { maxStoreBytes: options.imageStoreMaxBytes } : {}),
    ...(options.imageBlobIdleTimeoutMs !== undefined
      ? { blobIdleTimeoutMs: options.imageBlobIdleTimeoutMs }
      : {}),
  });
  const networker = createNetworker({
    stateDir: join(stateDir, "network"),
    bridge: options.bridge,
    subnet: options.subnet,
    name: options.name,
    externalIP: options.externalIP,
    portPool: options.portPool,
    isolateContainers: options.isolateContainers ?? false,
    ...(options.overlay ? { overlay: options.overlay } : {}),
    ...(options.hostNetns ? { hostNetns: options.hostNetns } : {}),
    log,
  });
  const garden = await createGarden(
    {
      depotDir,
      runtimePath: options.runtimePath ?? "runc",
      runtimeRoot: options.runtimeRoot ?? join(stateDir, "runtime"),
      cgroupParent,
      ...(options.maxContainers ? { maxContainers: options.maxContainers } : {}),
      ...(options.outputCapBytes ? { outputCapBytes: options.outputCapBytes } : {}),
      ...(options.allowPrivileged !== undefined ? { allowPrivileged: options.allowPrivileged } : {}),
      ...(options.defaultGraceTimeNs !== undefined ? { defaultGraceTimeNs: options.defaultGraceTimeNs } : {}),
      bindMountSourceRoots: options.bindMountSourceRoots ?? [],
      ...(options.dnsServers ? { dnsServers: options.dnsServers } : {}),
      logger: log,
    },
    { volumizer: images, networker },
  );
  return {
    garden,
    gateway: gatewayOf(options.subnet),
    async stackLayers(stack) {
      if (stack === "busybox") return [];
      if (stack === "node") return [(await ensureNodeLayer(imagesDir)).dir];
      throw new Error(`this cell has no stack ${stack} (it has ${STACKS.join(", ")})`);
    },
    pullImage: (image, onProgress) => images.pull(image, onProgress),
    setPeerRules: (rules) => networker.setPeerRules(rules),
    setRemoteSubnets: (remotes) => networker.setRemoteSubnets(remotes),
    setPolicy: (policy) => networker.setPolicy(policy),
    close: () => garden.close(),
    async destroyAll() {
      for (const container of await garden.containers({}, { includeIncomplete: true })) {
        await garden.destroy(container.handle);
      }
      await garden.close();
      await networker.destroyAll();
      await removeCgroupTree(`/${cgroupParent}`);
    },
  };
}
