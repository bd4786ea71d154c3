import type { PolicySlice as CellPolicySlice, PolicyRule } from "@grove/protocol";

/** A running instance's address on its cell. */
export interface InstanceAddress {
  appId: string;
  cellId: string;
  containerIp: string;
}

/** The peer rules one cell enforces: its policy slice without revision and egress. */
export type PolicySlice = Pick<CellPolicySlice, "apps" | "rules">;

/**
 * Cuts the cluster's policies into what each cell needs: the policies whose source or destination
 * app has running instances on the cell (the destination's cell admits the traffic, the source's
 * lets it leave), with the addresses of every app they name on every cell — container addresses are
 * unique in the cluster (each cell's subnet is leased from the cluster range). Every cell gets a
 * slice, empty ones too, so a cell whose last policy went away stops enforcing it. Output is sorted,
 * so equal inputs give equal slices (agents skip a slice equal to the one they enforce).
 */
export function policySlices(
  cellIds: readonly string[],
  policies: readonly PolicyRule[],
  instances: readonly InstanceAddress[],
): Map<string, PolicySlice> {
  const addresses = new Map<string, Set<string>>();
  const appsOnCell = new Map<string, Set<string>>();
  for (const i of instances) {
    const ofApp = addresses.get(i.appId) ?? new Set<string>();
    addresses.set(i.appId, ofApp);
    ofApp.add(i.containerIp);
    const onCell = appsOnCell.get(i.cellId) ?? new Set<string>();
    appsOnCell.set(i.cellId, onCell);
    onCell.add(i.appId);
  }
  const slices = new Map<string, PolicySlice>();
  for (const cellId of [...cellIds].sort()) {
    const local = appsOnCell.get(cellId) ?? new Set<string>();
    const rules = policies
      .filter((p) => local.has(p.destinationAppId) || local.has(p.sourceAppId))
      .sort(compareRules);
    const named = new Set(rules.flatMap((r) => [r.sourceAppId, r.destinationAppId]));
    const apps = [...named].sort().map((appId) => ({
      appId,
      addresses: [...(addresses.get(appId) ?? [])].sort(),
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
