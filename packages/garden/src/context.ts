import type { Logger } from "pino";
import { CgroupV1 } from "./cgroups/cgroups-v1";
import type { ResolvedConfig } from "./config";
import type { Depot } from "./depot/depot";
import type { KeyedMutex } from "./keyed-mutex";
import type { OciRuntime } from "./runtime/oci-runtime";
import type { Networker, Volumizer } from "./seams";
import type { UsageTracker } from "./usage-tracker";

/** Everything the parts of one garden instance share. */
export interface GardenContext {
  config: ResolvedConfig;
  depot: Depot;
  runtime: OciRuntime;
  volumizer: Volumizer;
  networker?: Networker;
  monitorBinary: string;
  /** grove-init: pid 1 of every container, which also starts its processes */
  initBinary: string;
  /** grove-files: StreamIn/StreamOut inside a container's namespaces, as the requesting user */
  filesBinary: string;
  usage: UsageTracker;
  locks: KeyedMutex;
  logger: Logger;
}

/** `/<parent>/<handle>`: one subtree per garden instance, so instances never share cgroups. */
export function cgroupsPathOf(context: GardenContext, handle: string): string {
  return `/${context.config.cgroupParent}/${handle}`;
}

export function cgroupOf(context: GardenContext, handle: string): CgroupV1 {
  return new CgroupV1(cgroupsPathOf(context, handle));
}

/** The OCI runtime's id of a pea. */
export function peaContainerId(handle: string, processId: string): string {
  return `${handle}-pea-${processId}`;
}
