import { networkInterfaces } from "node:os";
import type { Garden } from "@grove/garden";
import type { Logger } from "pino";
import { createCellRuntime } from "./cell-runtime";
import type { GardenCommandConfig } from "./cli-flags";

/**
 * Builds the runtime `grove-garden` serves: runc containers, rootfs from @grove/images (the
 * default busybox stack for an empty image URI) and CNI networking.
 */
export async function createGardenRuntime(config: GardenCommandConfig, log: Logger): Promise<Garden> {
  const runtime = await createCellRuntime({
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
  return runtime.garden;
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
