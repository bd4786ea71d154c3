import type { Command } from "commander";
import { action } from "../context";
import { JOIN_TOKEN_HEADERS, joinTokenRow } from "../views";

/** `grove cells tokens list` (operators): unrevoked join tokens, never their secrets. */
export function registerCellsTokensList(tokens: Command): void {
  tokens
    .command("list")
    .alias("ls")
    .description("list unrevoked join tokens: state, uses, created, expires (operators)")
    .action(
      action(async (ctx) => {
        const all = await (await ctx.client()).listJoinTokens();
        if (ctx.out.json) ctx.out.record(all);
        else ctx.out.table(JOIN_TOKEN_HEADERS, all.map(joinTokenRow));
      }),
    );
}
