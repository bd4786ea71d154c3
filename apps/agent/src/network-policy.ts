import type { EgressRules, NetworkPolicy, PeerRules } from "@grove/garden";
import type { ApplyPolicy, EgressSlice } from "@grove/protocol";
import type { Logger } from "pino";
import { VersionedApply } from "./versioned-apply";

/** The cell's runtime capability the policy is enforced with (garden's networker setPolicy). */
export type SetPolicy = (policy: NetworkPolicy) => Promise<{ flowsCut: number }>;

/** An apply-policy command as the networker's peer rules: one address group per app. */
export function peerRulesOf(policy: Pick<ApplyPolicy, "apps" | "rules">): PeerRules {
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
 * Applies the api's apply-policy commands to the cell's network, one at a time: an older version
 * than the last applied (a late retry) and a slice equal to the one enforced change nothing. Peer
 * rules and egress go to the kernel in one nft transaction, and open connections the new policy no
 * longer allows are cut. The rules live in the kernel and the networker's state, so they stay while
 * the agent is down; after a restart the first command from the api brings them up to date.
 */
export class NetworkPolicyEnforcer {
  readonly #applier: VersionedApply<ApplyPolicy>;
  /** the last egress applied: a command without egress (an older api) keeps it */
  #egress: EgressRules | undefined;

  constructor(setPolicy: SetPolicy, resolvers: readonly string[], log: Logger) {
    const l = log.child({ component: "agent.policy" });
    const policyOf = (command: ApplyPolicy): NetworkPolicy => {
      const egress = command.egress ? egressRulesOf(command.egress, resolvers) : this.#egress;
      return { peers: peerRulesOf(command), ...(egress ? { egress } : {}) };
    };
    this.#applier = new VersionedApply(
      (command) => JSON.stringify(policyOf(command)),
      async (command) => {
        const policy = policyOf(command);
        const { flowsCut } = await setPolicy(policy);
        this.#egress = policy.egress;
        l.info(
          {
            version: command.version,
            rules: command.rules.length,
            apps: command.apps.length,
            egressRules: policy.egress?.allow.length,
            flowsCut,
          },
          "network policy applied",
        );
      },
    );
  }

  apply(command: ApplyPolicy): Promise<{ duplicate: boolean }> {
    return this.#applier.apply(command);
  }
}
