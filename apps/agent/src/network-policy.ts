import type { PeerRules } from "@grove/garden";
import type { ApplyPolicy } from "@grove/protocol";
import type { Logger } from "pino";
import { VersionedApply } from "./versioned-apply";

/** The cell's runtime capability the policy is enforced with (garden's networker peer rules). */
export type SetPeerRules = (rules: PeerRules) => Promise<void>;

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

/**
 * Applies the api's apply-policy commands to the cell's network, one at a time: an older version
 * than the last applied (a late retry) and a slice equal to the one enforced change nothing. The
 * rules live in the kernel and the networker's state, so they stay while the agent is down; after
 * a restart the first command from the api brings them up to date.
 */
export class NetworkPolicyEnforcer {
  readonly #applier: VersionedApply<ApplyPolicy>;

  constructor(setPeerRules: SetPeerRules, log: Logger) {
    const l = log.child({ component: "agent.policy" });
    this.#applier = new VersionedApply(
      (command) => JSON.stringify(peerRulesOf(command)),
      async (command) => {
        await setPeerRules(peerRulesOf(command));
        l.info(
          { version: command.version, rules: command.rules.length, apps: command.apps.length },
          "network policy applied",
        );
      },
    );
  }

  apply(command: ApplyPolicy): Promise<{ duplicate: boolean }> {
    return this.#applier.apply(command);
  }
}
