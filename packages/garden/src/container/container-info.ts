import { noneIfGone } from "../cgroups/cgroup";
import { cgroupOf, type GardenContext } from "../context";
import type { ContainerRecord } from "../depot/depot";
import type { ContainerInfo, ContainerMetrics } from "../types";
import { listProcesses } from "./process-record";

/** Info as Garden reports it; "oom" appears once the kernel's OOM killer fired in the container. */
export async function containerInfo(context: GardenContext, record: ContainerRecord): Promise<ContainerInfo> {
  const { handle } = record;
  const [properties, state, oomKills, processes] = await Promise.all([
    context.depot.readProperties(handle),
    context.runtime.state(handle),
    // a container whose cgroup is gone (its init ended and was cleaned up) has no new OOM to tell
    cgroupOf(context, handle)
      .oomKills()
      .catch((error: unknown) => noneIfGone(error, 0)),
    listProcesses(context.depot.processesDir(handle)),
  ]);
  let events = record.events ?? [];
  if (oomKills > 0 && !events.includes("oom")) {
    events = [...events, "oom"];
    // Kept in the depot: the event must outlive the cgroup counter (e.g. after a stop).
    await context.depot.updateRecord(handle, (stored) => {
      stored.events = events;
    });
  }
  const network = record.network;
  return {
    state: record.stopped || state?.status !== "running" ? "stopped" : "active",
    events,
    hostIP: network?.hostIP ?? "",
    containerIP: network?.containerIP ?? "",
    externalIP: network?.externalIP ?? "",
    containerPath: context.depot.dir(handle),
    processIDs: processes.filter((process) => process.exitedAtMs === undefined).map((process) => process.id),
    properties,
    mappedPorts: network?.mappedPorts ?? [],
  };
}

const defaultShares = 1024;

/** Metrics from the container's cgroup files (v1 or v2), the volumizer and the networker. */
export async function containerMetrics(
  context: GardenContext,
  record: ContainerRecord,
): Promise<ContainerMetrics> {
  const { handle } = record;
  const cgroup = cgroupOf(context, handle);
  const [memoryStat, cpuStat, pidStat, shares, disk, network] = await Promise.all([
    cgroup.memoryStat(),
    cgroup.cpuStat(),
    cgroup.pidStat(),
    cgroup.cpuShares(),
    context.volumizer
      .metrics(handle)
      .catch(() => ({ bytesUsed: 0, inodesUsed: 0, image: { bytesUsed: 0, inodesUsed: 0 } })),
    context.networker ? context.networker.stats(handle).catch(() => ({ rxBytes: 0, txBytes: 0 })) : undefined,
  ]);
  const ageNs = Math.max(
    0,
    Math.round((performance.timeOrigin + performance.now() - record.createdAtMs) * 1e6),
  );
  return {
    memoryStat,
    cpuStat,
    // as grootfs reports it: total counts the image's layers (so a new container starts at the
    // image's size), exclusive only what the container wrote
    diskStat: {
      totalBytesUsed: (disk.image?.bytesUsed ?? 0) + disk.bytesUsed,
      totalInodesUsed: (disk.image?.inodesUsed ?? 0) + disk.inodesUsed,
      exclusiveBytesUsed: disk.bytesUsed,
      exclusiveInodesUsed: disk.inodesUsed,
    },
    networkStat: network ?? { rxBytes: 0, txBytes: 0 },
    pidStat,
    ageNs,
    // CPU time (ns) the container was entitled to over its life: one full CPU at the default
    // weight of 1024 shares, proportionally more or less at other weights.
    cpuEntitlement: Math.round(ageNs * ((shares || defaultShares) / defaultShares)),
  };
}
