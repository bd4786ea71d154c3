import type { EgressProtocol, EgressSlice } from "@grove/protocol";

/** A stored egress rule as the leader reads it; tenantId null: the platform default. */
export interface StoredEgressRule {
  tenantId: string | null;
  spaceId: string | null;
  network: string;
  protocol: EgressProtocol;
  portStart: number | null;
  portEnd: number | null;
  controlPlane: boolean;
}

/** A running instance's address on its cell, with its owners. */
export interface OwnedAddress {
  cellId: string;
  tenantId: string;
  spaceId: string;
  containerIp: string;
}

/**
 * The egress each cell enforces: the address groups (a tenant's or a space's running instances on
 * the cell) its rules name, the rules of those tenants and spaces (and the platform default, for
 * every container), and the control plane it refuses. Sorted, so equal inputs give equal slices.
 */
export function egressSlices(
  cellIds: readonly string[],
  rules: readonly StoredEgressRule[],
  addresses: readonly OwnedAddress[],
  controlPlane: EgressSlice["controlPlane"],
): Map<string, EgressSlice> {
  const slices = new Map<string, EgressSlice>();
  for (const cellId of [...cellIds].sort()) {
    const groups = new Map<string, Set<string>>();
    const add = (group: string, ip: string) => groups.set(group, (groups.get(group) ?? new Set()).add(ip));
    for (const a of addresses) {
      if (a.cellId !== cellId) continue;
      add(tenantGroup(a.tenantId), a.containerIp);
      add(spaceGroup(a.spaceId), a.containerIp);
    }
    const sliceRules = rules
      .flatMap((r) => {
        const group =
          r.tenantId === null
            ? undefined
            : r.spaceId === null
              ? tenantGroup(r.tenantId)
              : spaceGroup(r.spaceId);
        if (group !== undefined && !groups.has(group)) return [];
        return [
          {
            ...(group !== undefined ? { group } : {}),
            network: r.network,
            protocol: r.protocol,
            ...(r.portStart !== null && r.portEnd !== null
              ? { ports: { start: r.portStart, end: r.portEnd } }
              : {}),
            ...(r.controlPlane ? { controlPlane: true } : {}),
          },
        ];
      })
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const named = new Set(sliceRules.flatMap((r) => (r.group === undefined ? [] : [r.group])));
    slices.set(cellId, {
      groups: [...groups.entries()]
        .filter(([id]) => named.has(id))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, ips]) => ({ id, addresses: [...ips].sort() })),
      rules: sliceRules,
      controlPlane: controlPlane.map((s) => ({ network: s.network, ports: { ...s.ports } })),
    });
  }
  return slices;
}

function tenantGroup(tenantId: string): string {
  return `tenant-${tenantId}`;
}

function spaceGroup(spaceId: string): string {
  return `space-${spaceId}`;
}

/** Where the control plane listens: the api's port, and the URLs it reaches NATS and Postgres at. */
export interface ControlPlaneUrls {
  apiPort: number;
  natsUrl: string;
  databaseUrl: string;
}

/**
 * The control plane's services containers are refused: the api, NATS and Postgres ports on every
 * cell's address and on the IPv4 hosts the api itself reaches NATS and Postgres at.
 */
export function controlPlaneOf(
  urls: ControlPlaneUrls,
  cellAddresses: readonly string[],
): EgressSlice["controlPlane"] {
  const endpoints = [
    ...urls.natsUrl.split(",").map((u) => endpointOf(u.trim(), 4222)),
    endpointOf(urls.databaseUrl, 5432),
  ].filter((e): e is { host: string; port: number } => e !== undefined);
  const ports = [...new Set([urls.apiPort, ...endpoints.map((e) => e.port)])]
    .filter((p) => p > 0)
    .sort((a, b) => a - b);
  const hosts = [...new Set([...cellAddresses, ...endpoints.map((e) => e.host)])]
    .filter((h) => IPV4.test(h))
    .sort();
  return hosts.flatMap((host) => ports.map((port) => ({ network: host, ports: { start: port, end: port } })));
}

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

function endpointOf(text: string, defaultPort: number): { host: string; port: number } | undefined {
  try {
    const url = new URL(text.includes("://") ? text : `nats://${text}`);
    return { host: url.hostname, port: url.port === "" ? defaultPort : Number(url.port) };
  } catch {
    return undefined;
  }
}
