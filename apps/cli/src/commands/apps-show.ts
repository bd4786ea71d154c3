import type { Command } from "commander";
import { appRef, refOf, withSpaceOption } from "../app-ref";
import { action } from "../context";
import { appLines, INSTANCE_HEADERS, instanceRow, runningOf } from "../views";

/**
 * `grove apps show NAME [--space S]`: an app's settings and, like `cf app`, each instance's state,
 * since, CPU, memory and disk use against its limits (as its cell last reported), cell and address.
 */
export function registerAppsShow(apps: Command): void {
  withSpaceOption(apps.command("show"))
    .description("show an app and its instances (state, since, cpu, memory, disk, cell, address, crashes)")
    .argument("<name>", "app name")
    .action(
      action(async (ctx, name: string, options: { space?: string }) => {
        const client = await ctx.client();
        const app = await client.getApp(appRef(name, options.space));
        const instances = await client.listInstances(refOf(app));
        if (ctx.out.json) {
          ctx.out.record({ app, instances });
          return;
        }
        const lines = appLines(app);
        const width = Math.max(...lines.map(([key]) => key.length)) + 1;
        for (const [key, value] of lines) ctx.out.line(`${`${key}:`.padEnd(width)} ${value}`);
        ctx.out.line(`${"running:".padEnd(width)} ${runningOf(app, instances)}`);
        ctx.out.line("");
        if (instances.length === 0) ctx.out.line("no instances");
        else
          ctx.out.table(
            INSTANCE_HEADERS,
            instances.map((instance) => instanceRow(instance)),
          );
      }),
    );
}
