import type { Command } from "commander";
import { action } from "../context";
import { TOKEN_HEADERS, tokenRow } from "../views";

/** `grove tokens list` (tenant admins: their tenant's; operators: all). Never shows secrets. */
export function registerTokensList(tokens: Command): void {
  tokens
    .command("list")
    .alias("ls")
    .description(
      "list unrevoked API tokens: name, role, tenant, created, expires, last used (never the secret)",
    )
    .action(
      action(async (ctx) => {
        const all = await (await ctx.client()).listTokens();
        if (ctx.out.json) ctx.out.record(all);
        else ctx.out.table(TOKEN_HEADERS, all.map(tokenRow));
      }),
    );
}
