import type { Command } from "commander";
import { appRef, withSpaceOption } from "../app-ref";
import { action } from "../context";
import { CliError } from "../errors";
import { confirm } from "../prompt";

/** `grove delete NAME [--space S] [--force]`: asks first on a terminal; without one, needs --force. */
export function registerDelete(program: Command): void {
  withSpaceOption(program.command("delete"))
    .description("delete an app and stop its instances")
    .argument("<name>", "app name")
    .option("-f, --force", "do not ask")
    .action(
      action(async (ctx, name: string, options: { force?: boolean; space?: string }) => {
        const client = await ctx.client();
        const app = appRef(name, options.space);
        if (!options.force) {
          if (!process.stdin.isTTY)
            throw new CliError(`not deleting ${name} without --force (no terminal to ask)`);
          await client.getApp(app);
          if (!(await confirm(`delete app ${name}?`))) throw new CliError("not deleted");
        }
        await client.deleteApp(app);
        if (ctx.out.json) ctx.out.record({ name, deleted: true });
        else ctx.out.line(`deleted ${name}`);
      }),
    );
}
