import type { Logger } from "pino";
import type { CgroupLayout, ContainerCgroup } from "./cgroups/cgroup";
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
  /** the host's cgroup hierarchy (v1/hybrid or v2) and where containers and peas go in it */
  cgroups: CgroupLayout;
  usage: UsageTracker;
  locks: KeyedMutex;
  logger: Logger;
}

/** `/<parent>/<handle>`: one subtree per garden instance, so instances never share cgroups. */
function containerCgroupPath(context: GardenContext, handle: string): string {
  return `/${context.config.cgroupParent}/${handle}`;
}

/** the cgroup the OCI runtime puts the container's init in */
export function cgroupsPathOf(context: GardenContext, handle: string): string {
  return context.cgroups.initPath(containerCgroupPath(context, handle));
}

/** the cgroup a pea of the container runs in */
export function peaCgroupsPathOf(context: GardenContext, handle: string, peaId: string): string {
  return context.cgroups.peaPath(containerCgroupPath(context, handle), peaId);
}

/** the container's whole cgroup: its init and its peas */
export function cgroupOf(context: GardenContext, handle: string): ContainerCgroup {
  return context.cgroups.open(containerCgroupPath(context, handle));
}

/** The OCI runtime's id of a pea. */
export function peaContainerId(handle: string, processId: string): string {
  return `${handle}-pea-${processId}`;
}
