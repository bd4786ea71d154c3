import type { Command } from "commander";
import { action } from "../context";
import { findCell } from "./find-cell";

/** `grove cells drain CELL` (operators): no new placements; instances move elsewhere. */
export function registerCellsDrain(cells: Command): void {
  cells
    .command("drain")
    .description("stop placing on a cell and move its instances elsewhere (operators)")
    .argument("<cell>", "cell name or id")
    .action(
      action(async (ctx, idOrName: string) => {
        const client = await ctx.client();
        const cell = await client.drainCell((await findCell(client, idOrName)).id);
        if (ctx.out.json) ctx.out.record(cell);
        else ctx.out.line(`draining ${cell.name} (${cell.id})`);
        if (!ctx.out.json && cell.volumes) {
          // stop, copy, start: a volume's instances are down while its data is copied
          ctx.out.note(
            `${cell.volumes} volume(s) have their data on ${cell.name}: their instances stop, the data is ` +
              "copied to another cell and they start there (down meanwhile; see grove volumes show)",
          );
        }
      }),
    );
}
