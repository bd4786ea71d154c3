import type { CellNetworkSettings } from "../config";
import { type CellPushDeps, sendCellCommand } from "../policies/push";
import { overlayPeers } from "../repo/subnet-leases";
import { formatRange } from "./subnet-lease";

/**
 * Sends every cell in service the other cells in service with their leased subnets (`apply-peers`),
 * so each routes exactly those. The leader does this every round (a cell joining or leaving wakes
 * one), so every cell's routes follow within a round. Returns how many cells took it.
 */
export async function pushPeers(deps: CellPushDeps & { network: CellNetworkSettings }): Promise<number> {
  const cells = await overlayPeers(deps.db);
  const version = Date.now();
  const range = formatRange(deps.network.range);
  const sent = await Promise.all(
    cells.map((cell) =>
      sendCellCommand(
        deps,
        cell.cellId,
        {
          type: "apply-peers",
          version,
          range,
          mode: deps.network.mode,
          peers: cells.filter((peer) => peer.cellId !== cell.cellId),
        },
        "overlay peers",
      ),
    ),
  );
  return sent.filter(Boolean).length;
}
