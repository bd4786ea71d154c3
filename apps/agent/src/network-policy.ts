import type { PeerRules } from "@grove/garden";
import type { ApplyPolicy } from "@grove/protocol";
import type { Logger } from "pino";

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
  #version = -1;
  #enforced: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #log: Logger;

  constructor(
    private readonly setPeerRules: SetPeerRules,
    log: Logger,
  ) {
    this.#log = log.child({ component: "agent.policy" });
  }

  apply(command: ApplyPolicy): Promise<{ duplicate: boolean }> {
    const run = this.#queue.then(() => this.#apply(command));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(command: ApplyPolicy): Promise<{ duplicate: boolean }> {
    if (command.version < this.#version) return { duplicate: true };
    const rules = peerRulesOf(command);
    const text = JSON.stringify(rules);
    if (text === this.#enforced) {
      this.#version = command.version;
      return { duplicate: true };
    }
    await this.setPeerRules(rules);
    this.#version = command.version;
    this.#enforced = text;
    this.#log.info(
      { version: command.version, rules: command.rules.length, apps: command.apps.length },
      "network policy applied",
    );
    return { duplicate: false };
  }
}
