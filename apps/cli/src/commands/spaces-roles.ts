import type { Command } from "commander";
import { action } from "../context";

/** `grove spaces roles SPACE`: the developer tokens with a role in the space (Cloud Foundry's space-users). */
export function registerSpacesRoles(spaces: Command): void {
  spaces
    .command("roles")
    .description("list the developer tokens with a role in a space (tenant admins may do everything anyway)")
    .argument("<space>", "space name")
    .action(
      action(async (ctx, space: string) => {
        const all = await (await ctx.client()).listSpaceRoles(space);
        if (ctx.out.json) ctx.out.record(all);
        else
          ctx.out.table(
            ["TOKEN", "ID", "ROLE", "SINCE"],
            all.map((grant) => [grant.token_name, grant.token_id, grant.role, grant.created_at]),
          );
      }),
    );
}
