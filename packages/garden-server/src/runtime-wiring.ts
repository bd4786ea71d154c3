import { networkInterfaces } from "node:os";
import { createGarden, createNetworker, type Garden } from "@grove/garden";
import { createImages } from "@grove/images";
import type { Logger } from "pino";
import type { GardenCommandConfig } from "./cli-flags";

/**
 * Builds the runtime `grove-garden` serves: runc containers, rootfs from @grove/images (the
 * default busybox stack for an empty image URI) and CNI networking.
 */
export async function createGardenRuntime(config: GardenCommandConfig, log: Logger): Promise<Garden> {
  const volumizer = createImages({ storeDir: config.imageStoreDir, log: log.child({ component: "images" }) });
  const networker = createNetworker({
    stateDir: config.networkStateDir,
    bridge: config.network.bridge,
    subnet: config.network.subnet,
    name: config.network.name,
    externalIP: config.network.externalIP ?? firstExternalIPv4(),
    portPool: config.portPool,
    log,
  });
  return createGarden(
    {
      depotDir: config.depotDir,
      runtimePath: config.runtimePath,
      runtimeRoot: config.runtimeRoot,
      cgroupParent: config.cgroupParent,
      allowPrivileged: config.allowPrivileged,
      defaultGraceTimeNs: config.defaultGraceTimeNs,
      ...(config.maxContainers ? { maxContainers: config.maxContainers } : {}),
      logger: log,
    },
    { volumizer, networker },
  );
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
