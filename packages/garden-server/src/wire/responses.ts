import type { Capacity, ContainerInfo, ContainerMetrics } from "@grove/garden";
import { omitEmpty } from "./go-json";

/** garden.ContainerInfo: Go field names, no json tags. */
export function containerInfoToWire(info: ContainerInfo) {
  return {
    State: info.state,
    Events: info.events,
    HostIP: info.hostIP,
    ContainerIP: info.containerIP,
    ContainerIPv6: "",
    ExternalIP: info.externalIP,
    ContainerPath: info.containerPath,
    ProcessIDs: info.processIDs,
    Properties: info.properties,
    MappedPorts: info.mappedPorts.map((m) => ({ HostPort: m.hostPort, ContainerPort: m.containerPort })),
  };
}

/** The zero ContainerInfo Go writes beside an error in bulk_info. */
export const emptyContainerInfo = {
  State: "",
  Events: null,
  HostIP: "",
  ContainerIP: "",
  ContainerIPv6: "",
  ExternalIP: "",
  ContainerPath: "",
  ProcessIDs: null,
  Properties: null,
  MappedPorts: null,
};

/** Every key of garden.ContainerMemoryStat; Go always writes all of them. */
const memoryStatKeys = [
  "active_anon",
  "active_file",
  "cache",
  "hierarchical_memory_limit",
  "inactive_anon",
  "inactive_file",
  "mapped_file",
  "pgfault",
  "pgmajfault",
  "pgpgin",
  "pgpgout",
  "rss",
  "total_active_anon",
  "total_active_file",
  "total_cache",
  "total_inactive_anon",
  "total_inactive_file",
  "total_mapped_file",
  "total_pgfault",
  "total_pgmajfault",
  "total_pgpgin",
  "total_pgpgout",
  "total_rss",
  "total_unevictable",
  "unevictable",
  "swap",
  "hierarchical_memsw_limit",
  "total_swap",
  "TotalUsageTowardLimit",
  "anon",
  "file",
  "swapcached",
] as const;

function memoryStatToWire(stat: Record<string, number>) {
  const out: Record<string, number> = {};
  for (const key of memoryStatKeys) out[key] = stat[key] ?? 0;
  // Guardian's figure for "memory in use": rss + cache minus what the kernel can drop at once.
  if (stat.TotalUsageTowardLimit === undefined) {
    out.TotalUsageTowardLimit = Math.max(
      0,
      (stat.total_rss ?? 0) + (stat.total_cache ?? 0) - (stat.total_inactive_file ?? 0),
    );
  }
  return out;
}

/** garden.Metrics: Go field names. */
export function metricsToWire(metrics: ContainerMetrics) {
  return {
    MemoryStat: memoryStatToWire(metrics.memoryStat),
    CPUStat: { Usage: metrics.cpuStat.usage, User: metrics.cpuStat.user, System: metrics.cpuStat.system },
    DiskStat: {
      TotalBytesUsed: metrics.diskStat.totalBytesUsed,
      TotalInodesUsed: metrics.diskStat.totalInodesUsed,
      ExclusiveBytesUsed: metrics.diskStat.exclusiveBytesUsed,
      ExclusiveInodesUsed: metrics.diskStat.exclusiveInodesUsed,
    },
    NetworkStat: { RxBytes: metrics.networkStat.rxBytes, TxBytes: metrics.networkStat.txBytes },
    PidStat: { Current: metrics.pidStat.current, Max: metrics.pidStat.max },
    Age: metrics.ageNs,
    CPUEntitlement: metrics.cpuEntitlement,
  };
}

/** The zero Metrics Go writes beside an error in bulk_metrics. */
export const emptyMetrics = {
  MemoryStat: memoryStatToWire({ TotalUsageTowardLimit: 0 }),
  CPUStat: { Usage: 0, User: 0, System: 0 },
  DiskStat: { TotalBytesUsed: 0, TotalInodesUsed: 0, ExclusiveBytesUsed: 0, ExclusiveInodesUsed: 0 },
  NetworkStat: null,
  PidStat: { Current: 0, Max: 0 },
  Age: 0,
  CPUEntitlement: 0,
};

/** garden.Capacity: snake_case tags, all omitempty. */
export function capacityToWire(capacity: Capacity) {
  return omitEmpty({
    memory_in_bytes: capacity.memoryInBytes,
    disk_in_bytes: capacity.diskInBytes,
    schedulable_disk_in_bytes: capacity.schedulableDiskInBytes,
    max_containers: capacity.maxContainers,
  });
}
