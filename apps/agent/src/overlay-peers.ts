import type { OverlayPlan, RemoteSubnet } from "@grove/garden";
import type { ApplyPeers, CellNetwork } from "@grove/protocol";
import type { Logger } from "pino";
import { CommandFailed } from "./instances";
import { VersionedApply } from "./versioned-apply";

/** The cell runtime's capability the peers are routed with (garden's networker overlay). */
export type SetRemoteSubnets = (remotes: readonly RemoteSubnet[]) => Promise<OverlayPlan>;

/** The other cells of an apply-peers command as the networker's remote subnets, in a stable order. */
export function remoteSubnetsOf(command: Pick<ApplyPeers, "peers">): RemoteSubnet[] {
  return command.peers
    .map((p) => ({ subnet: p.subnet, address: p.address }))
    .sort((a, b) => a.subnet.localeCompare(b.subnet) || a.address.localeCompare(b.address));
}

/**
 * Routes the other cells' container subnets as the api's apply-peers commands list them (the
 * newest version wins; an equal list changes nothing). Routes stay in the kernel while the agent is
 * down; the leader's next round brings them up to date. A cell without an overlay (it joined before
 * subnets were leased) refuses the command, saying why.
 */
export class OverlayPeers {
  readonly #applier: VersionedApply<ApplyPeers>;

  constructor(setRemoteSubnets: SetRemoteSubnets | undefined, network: CellNetwork | undefined, log: Logger) {
    const l = log.child({ component: "agent.overlay" });
    this.#applier = new VersionedApply(
      (command) => JSON.stringify(remoteSubnetsOf(command)),
      async (command) => {
        if (!setRemoteSubnets || !network)
          throw new CommandFailed(
            "this cell has no leased subnet (it joined before leases): it routes no peers",
          );
        if (command.range !== network.range || command.mode !== network.mode)
          l.warn(
            { range: command.range, mode: command.mode, joinedWith: network },
            "the cluster network changed since this cell joined; routing with the network it runs",
          );
        const plan = await setRemoteSubnets(remoteSubnetsOf(command));
        l.info({ version: command.version, routes: plan.routes.length }, "overlay peers routed");
      },
    );
  }

  apply(command: ApplyPeers): Promise<{ duplicate: boolean }> {
    return this.#applier.apply(command);
  }
}
