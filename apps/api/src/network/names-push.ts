import { type CellPushDeps, SentCommands, sendCellCommand } from "../policies/push";
import { internalNameInputs } from "../repo/internal-names";
import { EventLoopSlices } from "../slices";
import { nameSlices } from "./internal-names";

/**
 * Sends every cell in service the internal names it answers (`apply-names`): the names of the
 * tenants it hosts, with their apps' running addresses on every cell. The leader does this every
 * round (at the convergence interval; an instance event, a scale or a stop wakes one), so a change reaches the cells' resolvers
 * within a round; with `sent`, only to cells whose table changed (or is due a refresh); cells skip
 * a table equal to the one they have. Returns how many cells took it.
 */
export async function pushNames(deps: CellPushDeps & { sent?: SentCommands }): Promise<number> {
  const { cellIds, tenantsOnCells, running } = await internalNameInputs(deps.db);
  const version = Date.now();
  // made, digested and sent a cell at a time in slices of the event loop (the replies are awaited
  // together): at 1,000 cells a whole push is seconds of work
  const slices = new EventLoopSlices();
  const replies: Promise<boolean>[] = [];
  for (const [cellId, slice] of nameSlices(cellIds, tenantsOnCells, running)) {
    if (slices.due()) await slices.next();
    const digest = SentCommands.digest(slice);
    if (deps.sent && !deps.sent.due(cellId, digest)) continue;
    replies.push(
      sendCellCommand(deps, cellId, { type: "apply-names", version, ...slice }, "internal names").then(
        (took) => {
          if (took) deps.sent?.took(cellId, digest);
          return took;
        },
      ),
    );
  }
  const sent = await Promise.all(replies);
  return sent.filter(Boolean).length;
}
