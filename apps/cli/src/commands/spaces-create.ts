import type { Command } from "commander";
import { action } from "../context";

/** `grove spaces create NAME` (tenant admins). */
export function registerSpacesCreate(spaces: Command): void {
  spaces
    .command("create")
    .description("create a space in the tenant (tenant admins)")
    .argument("<name>", "space name (a DNS label)")
    .action(
      action(async (ctx, name: string) => {
        const space = await (await ctx.client()).createSpace(name);
        if (ctx.out.json) ctx.out.record(space);
        else ctx.out.line(`created space ${space.name}`);
      }),
    );
}
