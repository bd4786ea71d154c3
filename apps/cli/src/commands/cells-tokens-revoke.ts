import type { Command } from "commander";
import { action } from "../context";

/** `grove cells tokens revoke ID` (operators): no cell joins with the token any more. */
export function registerCellsTokensRevoke(tokens: Command): void {
  tokens
    .command("revoke")
    .description("revoke a join token: no cell joins with it any more (operators)")
    .argument("<id>", "join token id (grove cells tokens list)")
    .action(
      action(async (ctx, id: string) => {
        await (await ctx.client()).revokeJoinToken(id);
        if (ctx.out.json) ctx.out.record({ id, revoked: true });
        else ctx.out.line(`revoked join token ${id}`);
      }),
    );
}
