import type { Command } from "commander";
import { action } from "../context";

/**
 * `grove spaces unset-role SPACE TOKEN` (tenant admins; Cloud Foundry's unset-space-role): from
 * its next request the token sees nothing of the space.
 */
export function registerSpacesUnsetRole(spaces: Command): void {
  spaces
    .command("unset-role")
    .alias("revoke-role")
    .description("take a developer token's role in a space away")
    .argument("<space>", "space name")
    .argument("<token>", "the developer token's name or id")
    .action(
      action(async (ctx, space: string, token: string) => {
        await (await ctx.client()).unsetSpaceRole(space, token);
        if (ctx.out.json) ctx.out.record({ space, token, role: null });
        else ctx.out.line(`${token} has no role in space ${space}`);
      }),
    );
}
