import type { Command } from "commander";
import { action } from "../context";

/** `grove spaces list`: the tenant's spaces. */
export function registerSpacesList(spaces: Command): void {
  spaces
    .command("list")
    .alias("ls")
    .description("list the tenant's spaces")
    .action(
      action(async (ctx) => {
        const all = await (await ctx.client()).listSpaces();
        if (ctx.out.json) ctx.out.record(all);
        else
          ctx.out.table(
            ["NAME", "CREATED"],
            all.map((space) => [space.name, space.created_at]),
          );
      }),
    );
}
