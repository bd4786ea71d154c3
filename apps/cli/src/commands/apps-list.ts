import type { Command } from "commander";
import { action } from "../context";
import { formatMegabytes } from "../units";
import { runningCount } from "../views";

/** `grove apps list`: the tenant's apps with their running/desired counts. */
export function registerAppsList(apps: Command): void {
  apps
    .command("list")
    .alias("ls")
    .description("list the tenant's apps")
    .option("--space <space>", "only the apps of this space")
    .action(
      action(async (ctx, options: { space?: string }) => {
        const client = await ctx.client();
        // one request: the listing counts each app's running instances
        const all = await client.listApps(options.space);
        if (ctx.out.json) {
          ctx.out.record(
            all.map(({ running_instances, ...app }) => ({
              ...app,
              running: runningCount(app, running_instances),
            })),
          );
          return;
        }
        if (all.length === 0) {
          ctx.out.note("no apps yet: grove push DIR --name NAME");
          return;
        }
        ctx.out.table(
          ["NAME", "SPACE", "STATE", "RUNNING", "MEMORY", "DISK", "REVISION", "STACK"],
          all.map((app) => [
            app.name,
            app.space,
            app.state,
            runningCount(app, app.running_instances),
            formatMegabytes(app.memory_mb),
            formatMegabytes(app.disk_mb),
            app.revision,
            app.stack,
          ]),
        );
      }),
    );
}
