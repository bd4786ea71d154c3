import type { ApplyPolicy, PolicyRule } from "@grove/protocol";

/** A running instance's address on its cell. */
export interface InstanceAddress {
  appId: string;
  cellId: string;
  containerIp: string;
}

/** What one cell enforces: the `apply-policy` command without its type and version. */
export type PolicySlice = Pick<ApplyPolicy, "apps" | "rules">;

/**
 * Cuts the cluster's policies into what each cell needs: the policies whose destination app has
 * running instances on the cell, with the addresses of every app they name.
 *
 * Container addresses are unique per cell only (each cell allocates from its own subnet, which may
 * equal another cell's), so an app's addresses are taken from the same cell alone; an address of
 * another cell could be a local container of someone else. Every cell gets a slice, empty ones too,
 * so a cell whose last policy went away stops enforcing it. Output is sorted, so equal inputs give
 * equal slices (agents skip a slice equal to the one they enforce).
 */
export function policySlices(
  cellIds: readonly string[],
  policies: readonly PolicyRule[],
  instances: readonly InstanceAddress[],
): Map<string, PolicySlice> {
  const addresses = new Map<string, Map<string, Set<string>>>();
  for (const i of instances) {
    const ofCell = addresses.get(i.cellId) ?? new Map<string, Set<string>>();
    addresses.set(i.cellId, ofCell);
    const ofApp = ofCell.get(i.appId) ?? new Set<string>();
    ofCell.set(i.appId, ofApp);
    ofApp.add(i.containerIp);
  }
  const slices = new Map<string, PolicySlice>();
  for (const cellId of [...cellIds].sort()) {
    const local = addresses.get(cellId) ?? new Map<string, Set<string>>();
    const rules = policies.filter((p) => local.has(p.destinationAppId)).sort(compareRules);
    const named = new Set(rules.flatMap((r) => [r.sourceAppId, r.destinationAppId]));
    const apps = [...named].sort().map((appId) => ({
      appId,
      addresses: [...(local.get(appId) ?? [])].sort(),
    }));
    slices.set(cellId, { apps, rules: rules.map((r) => ({ ...r, ports: { ...r.ports } })) });
  }
  return slices;
}

function compareRules(a: PolicyRule, b: PolicyRule): number {
  return (
    a.sourceAppId.localeCompare(b.sourceAppId) ||
    a.destinationAppId.localeCompare(b.destinationAppId) ||
    a.protocol.localeCompare(b.protocol) ||
    a.ports.start - b.ports.start ||
    a.ports.end - b.ports.end
  );
}
