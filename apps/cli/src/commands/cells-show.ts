import type { Command } from "commander";
import { action } from "../context";
import { formatMegabytes } from "../units";
import { age } from "../views";
import { findCell } from "./find-cell";

/** `grove cells show CELL` (operators). */
export function registerCellsShow(cells: Command): void {
  cells
    .command("show")
    .description("show a cell by name or id (operators)")
    .argument("<cell>", "cell name or id")
    .action(
      action(async (ctx, idOrName: string) => {
        const cell = await findCell(await ctx.client(), idOrName);
        if (ctx.out.json) {
          ctx.out.record(cell);
          return;
        }
        const mem = (r: { memory_mb: number; disk_mb: number; containers: number }) =>
          `${formatMegabytes(r.memory_mb)} memory, ${formatMegabytes(r.disk_mb)} disk, ${r.containers} containers`;
        const lines: [string, string][] = [
          ["name", cell.name],
          ["id", cell.id],
          ["state", cell.state],
          ["zone", cell.zone],
          ["address", cell.address],
          ["capacity", mem(cell.capacity)],
          ["available", cell.available ? mem(cell.available) : "-"],
          ["instances", cell.instances === null ? "-" : String(cell.instances)],
          ["stacks", cell.stacks.join(", ")],
          ["tags", cell.tags.join(", ") || "-"],
          ["heartbeat", cell.last_heartbeat_at ? `${age(cell.last_heartbeat_at)} ago` : "never"],
          [
            "subnet",
            cell.subnet_lease
              ? `${cell.subnet_lease.subnet} (lease until ${cell.subnet_lease.expires_at})`
              : "-",
          ],
        ];
        for (const [key, value] of lines) ctx.out.line(`${`${key}:`.padEnd(11)} ${value}`);
      }),
    );
}
