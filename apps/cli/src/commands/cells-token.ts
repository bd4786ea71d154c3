import type { Command } from "commander";
import { action } from "../context";
import { parseCount, parseDuration } from "../units";

/** `grove cells token [--uses N] [--expires-in 1h]` (operators): a join token for new cells' agents. */
export function registerCellsToken(cells: Command): void {
  cells
    .command("token")
    .description("create a join token for new cells; start an agent with GROVE_JOIN_TOKEN (operators)")
    .option("--uses <n>", "how many cells may join with it", "1")
    .option("--expires-in <duration>", "how long it can be used, e.g. 90m, 12h, 7d", "1h")
    .action(
      action(async (ctx, options: { uses: string; expiresIn: string }) => {
        const token = await (await ctx.client()).createJoinToken({
          uses: parseCount(options.uses, "uses"),
          expiresInSeconds: parseDuration(options.expiresIn, "expires-in"),
        });
        if (ctx.out.json) ctx.out.record(token);
        else {
          ctx.out.line(token.token);
          const cells = token.max_uses === 1 ? "one cell" : `${token.max_uses} cells`;
          ctx.out.note(
            `joins ${cells} until ${token.expires_at}; start an agent with GROVE_JOIN_TOKEN=<token>`,
          );
        }
      }),
    );
}
