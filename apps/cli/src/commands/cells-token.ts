import type { Command } from "commander";
import { action } from "../context";
import { parseCount } from "../units";

/** `grove cells token [--ttl SECONDS]` (operators): a join token for a new cell's agent. */
export function registerCellsToken(cells: Command): void {
  cells
    .command("token")
    .description("create a join token for new cells; start an agent with GROVE_JOIN_TOKEN (operators)")
    .option("--ttl <seconds>", "how long the token can be used", "3600")
    .action(
      action(async (ctx, options: { ttl: string }) => {
        const token = await (await ctx.client()).createJoinToken(parseCount(options.ttl, "ttl"));
        if (ctx.out.json) ctx.out.record(token);
        else {
          ctx.out.line(token.token);
          ctx.out.note(`expires ${token.expires_at}; start an agent with GROVE_JOIN_TOKEN=<token>`);
        }
      }),
    );
}
