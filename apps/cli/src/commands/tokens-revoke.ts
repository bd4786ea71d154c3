import type { Command } from "commander";
import { action } from "../context";
import { CliError } from "../errors";

/** `grove tokens revoke TOKEN` by id or (unique) name: refused from its next request on. */
export function registerTokensRevoke(tokens: Command): void {
  tokens
    .command("revoke")
    .description("revoke an API token: its next request is refused")
    .argument("<token>", "token id, or its name when no other token has it")
    .action(
      action(async (ctx, idOrName: string) => {
        const client = await ctx.client();
        const all = await client.listTokens();
        const byId = all.find((token) => token.id === idOrName);
        const byName = all.filter((token) => token.name === idOrName);
        if (!byId && byName.length > 1) {
          throw new CliError(
            `${byName.length} tokens are named ${idOrName}: revoke one by its id (grove tokens list)`,
          );
        }
        const token = byId ?? byName[0];
        if (!token) throw new CliError(`no token ${idOrName}`);
        await client.revokeToken(token.id);
        if (ctx.out.json) ctx.out.record({ ...token, revoked: true });
        else ctx.out.line(`revoked token ${token.name || "-"} (${token.id})`);
      }),
    );
}
