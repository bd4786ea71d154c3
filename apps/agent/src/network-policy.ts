import type { EgressRules, NetworkPolicy, PeerRules } from "@grove/garden";
import type { EgressSlice, PolicySlice } from "@grove/protocol";
import type { Logger } from "pino";
import { VersionedApply } from "./versioned-apply";

/** The cell's runtime capability the policy is enforced with (garden's networker setPolicy). */
export type SetPolicy = (policy: NetworkPolicy) => Promise<{ flowsCut: number }>;

/** A policy slice as the networker's peer rules: one address group per app. */
export function peerRulesOf(policy: Pick<PolicySlice, "apps" | "rules">): PeerRules {
  const groups: Record<string, string[]> = {};
  for (const app of policy.apps) groups[app.appId] = [...app.addresses];
  for (const rule of policy.rules) {
    groups[rule.sourceAppId] ??= [];
    groups[rule.destinationAppId] ??= [];
  }
  return {
    groups,
    allow: policy.rules.map((r) => ({
      from: r.sourceAppId,
      to: r.destinationAppId,
      protocol: r.protocol,
      ports: { start: r.ports.start, end: r.ports.end },
    })),
  };
}

/** An egress slice as the networker's egress rules; DNS goes to the cell's `resolvers`. */
export function egressRulesOf(slice: EgressSlice, resolvers: readonly string[]): EgressRules {
  const groups: Record<string, string[]> = {};
  for (const group of slice.groups) groups[group.id] = [...group.addresses];
  return {
    groups,
    allow: slice.rules.map((r) => {
      if (r.group !== undefined) groups[r.group] ??= [];
      return {
        ...(r.group !== undefined ? { from: r.group } : {}),
        to: r.network,
        protocol: r.protocol,
        ...(r.ports ? { ports: { start: r.ports.start, end: r.ports.end } } : {}),
        ...(r.controlPlane ? { controlPlane: true } : {}),
      };
    }),
    resolvers: [...resolvers],
    controlPlane: slice.controlPlane.map((s) => ({ network: s.network, ports: { ...s.ports } })),
  };
}

/**
 * Enforces the cell's policy slices, one at a time: a slice of an older revision than the one
 * enforced (a late answer) and a slice equal to the one enforced change nothing. Peer rules and
 * egress go to the kernel in one nft transaction, and open connections the new policy no longer
 * allows are cut. The rules live in the kernel and the networker's state, so they stay while the
 * agent is down; after a restart the first slice pulled brings them up to date.
 */
export class NetworkPolicyEnforcer {
  readonly #applier: VersionedApply<{ version: number; slice: PolicySlice }>;

  constructor(setPolicy: SetPolicy, resolvers: readonly string[], log: Logger) {
    const l = log.child({ component: "agent.policy" });
    const policyOf = (slice: PolicySlice): NetworkPolicy => ({
      peers: peerRulesOf(slice),
      egress: egressRulesOf(slice.egress, resolvers),
    });
    this.#applier = new VersionedApply(
      ({ slice }) => JSON.stringify(policyOf(slice)),
      async ({ slice }) => {
        const policy = policyOf(slice);
        const { flowsCut } = await setPolicy(policy);
        l.info(
          {
            revision: slice.revision,
            rules: slice.rules.length,
            apps: slice.apps.length,
            egressRules: policy.egress?.allow.length,
            flowsCut,
          },
          "network policy applied",
        );
      },
    );
  }

  /** The revision enforced (-1: none since the agent started). */
  get revision(): number {
    return this.#applier.version;
  }

  apply(slice: PolicySlice): Promise<{ duplicate: boolean }> {
    return this.#applier.apply({ version: slice.revision, slice });
  }
}
