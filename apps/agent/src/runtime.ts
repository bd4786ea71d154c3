import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CgroupV1, createGarden, createNetworker, type Garden } from "@grove/garden";
import { createImages, ensureNodeLayer } from "@grove/images";
import type { Logger } from "pino";

export interface CellRuntimeOptions {
  stateDir: string;
  /** cell bridge, ≤ 15 chars; unique per cell on one machine */
  bridge: string;
  /** the cell's container subnet, e.g. 10.254.0.0/22 */
  subnet: string;
  /** names nft tables, the CNI network, netns and the cgroup parent; unique per cell */
  name: string;
  /** the cell's address, where NetIn ports are reachable */
  externalIP: string;
  portPool: { start: number; end: number };
  runtimePath?: string;
  maxContainers?: number;
  log: Logger;
}

/** The stacks a cell offers, each as read-only layers on the busybox base. */
export const STACKS = ["busybox", "node"] as const;

export interface CellRuntime {
  garden: Garden;
  /** the layers `stack` adds on the busybox base; unknown stack → throws */
  stackLayers(stack: string): Promise<string[]>;
  close(): Promise<void>;
  /** Destroys every container and the cell's network (bridge, rules): for removing a cell. */
  destroyAll(): Promise<void>;
}

/** The name of a cell's nft tables, CNI network and cgroup parent, derived from its bridge. */
export function cellName(bridge: string): string {
  return `grove-${bridge.replace(/[^a-z0-9]/g, "")}`.slice(0, 20);
}

/** Wires garden with the image store and the CNI networker under one state dir. */
export async function createCellRuntime(options: CellRuntimeOptions): Promise<CellRuntime> {
  const { stateDir, log } = options;
  await mkdir(stateDir, { recursive: true });
  // user-namespaced containers must traverse to their rootfs under the state dir
  await chmod(stateDir, 0o755);
  const imagesDir = join(stateDir, "images");
  const images = createImages({ storeDir: imagesDir, log });
  const networker = createNetworker({
    stateDir: join(stateDir, "network"),
    bridge: options.bridge,
    subnet: options.subnet,
    name: options.name,
    externalIP: options.externalIP,
    portPool: options.portPool,
    log,
  });
  const garden = await createGarden(
    {
      depotDir: join(stateDir, "depot"),
      runtimePath: options.runtimePath ?? "runc",
      runtimeRoot: join(stateDir, "runtime"),
      cgroupParent: options.name,
      maxContainers: options.maxContainers,
      logger: log,
    },
    { volumizer: images, networker },
  );
  return {
    garden,
    async stackLayers(stack) {
      if (stack === "busybox") return [];
      if (stack === "node") return [(await ensureNodeLayer(imagesDir)).dir];
      throw new Error(`this cell has no stack ${stack} (it has ${STACKS.join(", ")})`);
    },
    close: () => garden.close(),
    async destroyAll() {
      for (const container of await garden.containers({}, { includeIncomplete: true })) {
        await garden.destroy(container.handle);
      }
      await garden.close();
      await networker.destroyAll();
      await new CgroupV1(`/${options.name}`).remove();
    },
  };
}
