import type { Command } from "commander";
import { action } from "../context";
import { formatMegabytes } from "../units";

/** `grove volumes list`: the tenant's volumes. */
export function registerVolumesList(volumes: Command): void {
  volumes
    .command("list")
    .alias("ls")
    .description("list the tenant's volumes")
    .action(
      action(async (ctx) => {
        const all = await (await ctx.client()).listVolumes();
        if (ctx.out.json) {
          ctx.out.record(all);
          return;
        }
        if (all.length === 0) {
          ctx.out.note("no volumes yet: grove volumes create NAME --size 1G");
          return;
        }
        ctx.out.table(
          ["NAME", "SPACE", "SIZE", "SHARED", "CELL"],
          all.map((volume) => [
            volume.name,
            volume.space,
            formatMegabytes(volume.size_mb),
            volume.shared ? "yes" : "no",
            volume.cell ?? "-",
          ]),
        );
      }),
    );
}
