import type { Command } from "commander";
import { action } from "../context";

/** `grove egress remove ID`. */
export function registerEgressRemove(egress: Command): void {
  egress
    .command("remove")
    .alias("rm")
    .description("remove an egress rule by id (open connections it allowed are cut)")
    .argument("<id>", "rule id, as `grove egress list` shows it")
    .action(
      action(async (ctx, id: string) => {
        await (await ctx.client()).deleteEgressRule(id);
        if (ctx.out.json) ctx.out.record({ id, removed: true });
        else ctx.out.line(`removed egress rule ${id}`);
      }),
    );
}
