import { type ApplyNames, INTERNAL_ZONE } from "@grove/protocol";
import { DEFAULT_SPACE } from "../repo/spaces";

/** A running instance's container address with the names its app is known by. */
export interface NamedAddress {
  tenantId: string;
  appName: string;
  spaceName: string;
  tenantName: string;
  containerIp: string;
}

/** What one cell answers: the `apply-names` command without its type and version. */
export type NameSlice = Pick<ApplyNames, "tenants">;

/**
 * The internal names of an app: `<app>.<space>.<tenant>.internal`, and in the `default` space also
 * `<app>.<tenant>.internal` (its route's shape, as before spaces).
 */
export function internalNamesOf(app: string, space: string, tenant: string): string[] {
  const full = `${app}.${space}.${tenant}.${INTERNAL_ZONE}`.toLowerCase();
  return space === DEFAULT_SPACE ? [full, `${app}.${tenant}.${INTERNAL_ZONE}`.toLowerCase()] : [full];
}

/**
 * Cuts the cluster's internal names into what each cell needs: the names of the tenants that have an
 * instance on the cell (its containers are the only callers it answers), each with the addresses of
 * its app's running instances on every cell. A cell learns nothing of a tenant it does not host.
 * Every cell gets a slice, empty ones too; output is sorted, so equal inputs give equal slices.
 */
export function nameSlices(
  cellIds: readonly string[],
  tenantsOnCells: readonly { cellId: string; tenantId: string }[],
  running: readonly NamedAddress[],
): Map<string, NameSlice> {
  const byTenant = new Map<string, Map<string, Set<string>>>();
  for (const r of running) {
    const names = byTenant.get(r.tenantId) ?? new Map<string, Set<string>>();
    byTenant.set(r.tenantId, names);
    for (const name of internalNamesOf(r.appName, r.spaceName, r.tenantName)) {
      const addresses = names.get(name) ?? new Set<string>();
      names.set(name, addresses);
      addresses.add(r.containerIp);
    }
  }
  const hosted = new Map<string, Set<string>>();
  for (const { cellId, tenantId } of tenantsOnCells) {
    const tenants = hosted.get(cellId) ?? new Set<string>();
    hosted.set(cellId, tenants);
    tenants.add(tenantId);
  }
  const slices = new Map<string, NameSlice>();
  for (const cellId of [...cellIds].sort()) {
    const tenants = [...(hosted.get(cellId) ?? [])].sort().map((tenantId) => ({
      tenantId,
      names: [...(byTenant.get(tenantId) ?? new Map<string, Set<string>>())]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, addresses]) => ({ name, addresses: [...addresses].sort() })),
    }));
    slices.set(cellId, { tenants });
  }
  return slices;
}
