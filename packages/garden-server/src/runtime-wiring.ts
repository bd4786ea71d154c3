import { rm } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import type { Garden } from "@grove/garden";
import type { Logger } from "pino";
import { createCellRuntime } from "./cell-runtime";
import type { GardenCommandConfig } from "./cli-flags";

/**
 * Builds the runtime `grove-garden` serves: runc containers, rootfs from @grove/images (the
 * default busybox stack for an empty image URI) and the networker.
 */
export async function createGardenRuntime(config: GardenCommandConfig, log: Logger): Promise<Garden> {
  return (await cellRuntimeOf(config, log)).garden;
}

/**
 * `grove-garden cleanup` (Guardian's `gdn cleanup`): destroys every container, then the network
 * (bridge, nft tables, address and port state) and removes the depot and state directories.
 */
export async function cleanupGardenRuntime(config: GardenCommandConfig, log: Logger): Promise<void> {
  const runtime = await cellRuntimeOf(config, log);
  await runtime.destroyAll();
  await rm(config.depotDir, { recursive: true, force: true });
  await rm(config.stateDir, { recursive: true, force: true });
}

function cellRuntimeOf(config: GardenCommandConfig, log: Logger) {
  return createCellRuntime({
    stateDir: config.stateDir,
    depotDir: config.depotDir,
    imageStoreDir: config.imageStoreDir,
    runtimeRoot: config.runtimeRoot,
    cgroupParent: config.cgroupParent,
    runtimePath: config.runtimePath,
    bridge: config.network.bridge,
    subnet: config.network.subnet,
    name: config.network.name,
    externalIP: config.network.externalIP ?? firstExternalIPv4(),
    portPool: config.portPool,
    allowPrivileged: config.allowPrivileged,
    defaultGraceTimeNs: config.defaultGraceTimeNs,
    maxContainers: config.maxContainers,
    bindMountSourceRoots: config.bindMountSourceRoots,
    log,
  });
}

/** The address NetIn is reported on when none is given: the host's first non-loopback IPv4. */
function firstExternalIPv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return "127.0.0.1";
}
