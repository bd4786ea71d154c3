import type { Command } from "commander";
import { action } from "../context";
import { findCell } from "./find-cell";

/** `grove cells remove CELL` (operators): the cell leaves for good; its NATS user is revoked. */
export function registerCellsRemove(cells: Command): void {
  cells
    .command("remove")
    .description(
      "remove a cell for good: its instances move elsewhere and its NATS access is revoked (operators)",
    )
    .argument("<cell>", "cell name or id")
    .action(
      action(async (ctx, idOrName: string) => {
        const client = await ctx.client();
        const cell = await client.removeCell((await findCell(client, idOrName)).id);
        if (ctx.out.json) ctx.out.record(cell);
        else ctx.out.line(`removed ${cell.name} (${cell.id})`);
      }),
    );
}
