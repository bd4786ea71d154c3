import type { Command } from "commander";
import { action } from "../context";
import { findCell } from "./find-cell";

/** `grove cells undrain CELL` (operators): a drained cell takes placements again. */
export function registerCellsUndrain(cells: Command): void {
  cells
    .command("undrain")
    .description("put a drained cell back in service (operators)")
    .argument("<cell>", "cell name or id")
    .action(
      action(async (ctx, idOrName: string) => {
        const client = await ctx.client();
        const cell = await client.undrainCell((await findCell(client, idOrName)).id);
        if (ctx.out.json) ctx.out.record(cell);
        else ctx.out.line(`${cell.name} (${cell.id}) is ${cell.state}`);
      }),
    );
}
