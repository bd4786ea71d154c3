import type { Command } from "commander";
import { action } from "../context";
import { CELL_HEADERS, cellRow } from "../views";

/** `grove cells list` (operators). */
export function registerCellsList(cells: Command): void {
  cells
    .command("list")
    .alias("ls")
    .description("list cells with their state, capacity and last heartbeat (operators)")
    .action(
      action(async (ctx) => {
        const all = await (await ctx.client()).listCells();
        if (ctx.out.json) ctx.out.record(all);
        else if (all.length === 0)
          ctx.out.note("no cells have joined: grove cells token, then start an agent");
        else ctx.out.table(CELL_HEADERS, all.map(cellRow));
      }),
    );
}
