import type { CellNetworkSettings } from "../config";
import { type CellPushDeps, SentCommands, sendCellCommand } from "../policies/push";
import { overlayPeers } from "../repo/subnet-leases";
import { EventLoopSlices } from "../slices";
import type { PushPacing } from "./push-pacing";
import { formatRange } from "./subnet-lease";

/**
 * Sends every cell in service the other cells in service with their leased subnets (`apply-peers`),
 * so each routes exactly those. The leader does this every round (a cell joining or leaving wakes
 * one), so every cell's routes follow within a round; with `sent`, only to cells whose peers changed
 * (or are due a refresh). With `pacing`, a push waits for the gap the last one asks for (a push
 * costs the square of the cells: see `PushPacing`) and reads the peers after it. Returns how many
 * cells took it.
 */
export function pushPeers(
  deps: CellPushDeps & { network: CellNetworkSettings; sent?: SentCommands; pacing?: PushPacing },
): Promise<number> {
  return deps.pacing ? deps.pacing.run((made) => pushPeersNow(deps, made), 0) : pushPeersNow(deps);
}

async function pushPeersNow(
  deps: CellPushDeps & { network: CellNetworkSettings; sent?: SentCommands },
  made?: () => void,
): Promise<number> {
  const cells = await overlayPeers(deps.db);
  const version = Date.now();
  const range = formatRange(deps.network.range);
  // a cell's peers are all the others: one digest of the whole list stands for each cell's
  const digest = SentCommands.digest([range, deps.network.mode, cells]);
  const due = cells.filter((cell) => deps.sent?.due(cell.cellId, digest) ?? true);
  // every cell gets all the others: at 1,000 cells a million peers to encode, so the commands are
  // made and sent in slices (the replies are awaited together)
  const slices = new EventLoopSlices();
  const replies: Promise<boolean>[] = [];
  for (const cell of due) {
    if (slices.due()) await slices.next();
    const command = {
      type: "apply-peers" as const,
      version,
      range,
      mode: deps.network.mode,
      peers: cells.filter((peer) => peer.cellId !== cell.cellId),
    };
    replies.push(
      sendCellCommand(deps, cell.cellId, command, "overlay peers").then((took) => {
        if (took) deps.sent?.took(cell.cellId, digest);
        return took;
      }),
    );
  }
  // the push's own work is done: the wait for the cells' answers costs the api nothing
  made?.();
  const sent = await Promise.all(replies);
  return sent.filter(Boolean).length;
}
