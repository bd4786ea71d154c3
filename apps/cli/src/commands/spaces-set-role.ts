import type { Command } from "commander";
import { action } from "../context";
import { UsageError } from "../errors";

const roles = ["developer", "viewer"] as const;

/**
 * `grove spaces set-role SPACE TOKEN ROLE` (tenant admins; Cloud Foundry's set-space-role): the
 * developer token named TOKEN (its name or id) gets ROLE in SPACE, replacing the one it had.
 */
export function registerSpacesSetRole(spaces: Command): void {
  spaces
    .command("set-role")
    .alias("grant")
    .description("give a developer token a role in a space: developer (push, change) or viewer (read)")
    .argument("<space>", "space name")
    .argument("<token>", "the developer token's name or id")
    .argument("<role>", roles.join(" or "))
    .action(
      action(async (ctx, space: string, token: string, role: string) => {
        if (!(roles as readonly string[]).includes(role)) {
          throw new UsageError(`role must be developer or viewer, not ${JSON.stringify(role)}`);
        }
        const granted = await (await ctx.client()).setSpaceRole(space, token, role as (typeof roles)[number]);
        if (ctx.out.json) ctx.out.record(granted);
        else ctx.out.line(`${granted.token_name || granted.token_id} is ${granted.role} in space ${space}`);
      }),
    );
}
