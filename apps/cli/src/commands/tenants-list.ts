import type { Command } from "commander";
import { action } from "../context";

/** `grove tenants list` (operators). */
export function registerTenantsList(tenants: Command): void {
  tenants
    .command("list")
    .alias("ls")
    .description("list tenants (operators)")
    .action(
      action(async (ctx) => {
        const all = await (await ctx.client()).listTenants();
        if (ctx.out.json) ctx.out.record(all);
        else
          ctx.out.table(
            ["NAME", "ID", "CREATED"],
            all.map((t) => [t.name, t.id, t.created_at]),
          );
      }),
    );
}
