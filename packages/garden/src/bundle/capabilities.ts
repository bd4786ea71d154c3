import { readFileSync } from "node:fs";

/** Capability names by number (linux/capability.h), up to what runc 1.1 knows. */
const capabilityNames = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
] as const;

/**
 * Guardian's capability set for unprivileged containers, less CAP_NET_RAW: network policy knows a
 * container by its source address, and raw sockets would let it forge packets (and ping is not
 * worth that). TCP and UDP sockets need no capability.
 */
export const unprivilegedCapabilities = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
] as const;

let hostBounding: string[] | undefined;

/**
 * Privileged containers get every capability this process itself may hold: asking the runtime
 * for one outside our bounding set fails the whole create ("unable to apply caps").
 */
export function privilegedCapabilities(): string[] {
  if (!hostBounding) {
    const status = readFileSync("/proc/self/status", "utf8");
    const mask = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(status)?.[1] ?? "0"}`);
    hostBounding = capabilityNames.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
  }
  return hostBounding;
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
}

/** The OCI capabilities block for a process of a (un)privileged container. */
export function capabilitiesFor(privileged: boolean): OciCapabilities {
  const set = privileged ? [...privilegedCapabilities()] : [...unprivilegedCapabilities];
  return { bounding: set, effective: set, permitted: set, inheritable: set };
}
