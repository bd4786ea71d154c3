import type { BandwidthLimits, CpuLimits, DiskLimits, Limits, MemoryLimits, PidLimits } from "@grove/garden";
import type { z } from "zod";
import { goStruct, omitEmpty, uint8, uint64 } from "./go-json";

/** Garden's limit structs on the wire (json tags of garden.Limits and friends). */
export const wireBandwidthLimits = goStruct({ rate: uint64, burst: uint64 });
export const wireCpuLimits = goStruct({ weight: uint64, limit_in_shares: uint64 });
export const wireDiskLimits = goStruct({
  inode_soft: uint64,
  inode_hard: uint64,
  byte_soft: uint64,
  byte_hard: uint64,
  scope: uint8.max(1, "scope must be 0 (total) or 1 (exclusive)"),
});
export const wireMemoryLimits = goStruct({ limit_in_bytes: uint64 });
export const wirePidLimits = goStruct({ max: uint64 });

export const wireLimits = goStruct({
  bandwidth_limits: wireBandwidthLimits,
  cpu_limits: wireCpuLimits,
  disk_limits: wireDiskLimits,
  memory_limits: wireMemoryLimits,
  pid_limits: wirePidLimits,
});

/** garden.ProcessLimits: the per-process override of cpu and memory. */
export const wireProcessLimits = goStruct({ cpu_limits: wireCpuLimits, memory_limits: wireMemoryLimits });

const nonZero = (n: number | undefined) => (n ? n : undefined);

/** Drops keys whose value is undefined and returns undefined for an empty object (Go's zero struct). */
function compact<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length > 0 ? (Object.fromEntries(entries) as T) : undefined;
}

export function limitsFromWire(wire: z.infer<typeof wireLimits> | undefined): Limits | undefined {
  if (!wire) return undefined;
  const disk = wire.disk_limits ?? {};
  return compact<Limits>({
    bandwidth: compact<BandwidthLimits>({
      rateInBytesPerSecond: nonZero(wire.bandwidth_limits?.rate),
      burstRateInBytesPerSecond: nonZero(wire.bandwidth_limits?.burst),
    }),
    cpu: compact<CpuLimits>({
      weight: nonZero(wire.cpu_limits?.weight),
      limitInShares: nonZero(wire.cpu_limits?.limit_in_shares),
    }),
    disk: compact<DiskLimits>({
      inodeSoft: nonZero(disk.inode_soft),
      inodeHard: nonZero(disk.inode_hard),
      byteSoft: nonZero(disk.byte_soft),
      byteHard: nonZero(disk.byte_hard),
      scope: disk.scope === 1 ? "exclusive" : undefined,
    }),
    memory: compact<MemoryLimits>({ limitInBytes: nonZero(wire.memory_limits?.limit_in_bytes) }),
    pid: compact<PidLimits>({ max: nonZero(wire.pid_limits?.max) }),
  });
}

/** The limits getters answer with Go's omitempty structs: zero fields are left out. */
export function bandwidthLimitsToWire(limits: BandwidthLimits | undefined) {
  return omitEmpty({ rate: limits?.rateInBytesPerSecond, burst: limits?.burstRateInBytesPerSecond });
}

export function cpuLimitsToWire(limits: CpuLimits | undefined) {
  return omitEmpty({ weight: limits?.weight, limit_in_shares: limits?.limitInShares });
}

export function diskLimitsToWire(limits: DiskLimits | undefined) {
  return omitEmpty({
    inode_soft: limits?.inodeSoft,
    inode_hard: limits?.inodeHard,
    byte_soft: limits?.byteSoft,
    byte_hard: limits?.byteHard,
    scope: limits?.scope === "exclusive" ? 1 : 0,
  });
}

export function memoryLimitsToWire(limits: MemoryLimits | undefined) {
  return omitEmpty({ limit_in_bytes: limits?.limitInBytes });
}
