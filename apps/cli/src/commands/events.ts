import type { Command } from "commander";
import { appRef, withSpaceOption } from "../app-ref";
import { action } from "../context";
import { parseCount } from "../units";

/** `grove events NAME [-n N]`: the app's audit events, newest first (NDJSON with --json). */
export function registerEvents(program: Command): void {
  withSpaceOption(program.command("events"))
    .description("show an app's recent events, newest first")
    .argument("<name>", "app name")
    .option("-n, --limit <n>", "how many", "50")
    .action(
      action(async (ctx, name: string, options: { limit: string; space?: string }) => {
        const limit = parseCount(options.limit, "limit");
        const page = await (await ctx.client()).appEvents(appRef(name, options.space), {
          limit: Math.min(Math.max(limit, 1), 500),
        });
        if (ctx.out.json) {
          for (const event of page.items) ctx.out.record(event);
          return;
        }
        if (page.items.length === 0) {
          ctx.out.note(`no events for ${name}`);
          return;
        }
        ctx.out.table(
          ["AT", "EVENT", "ACTOR", "DETAILS"],
          page.items.map((e) => [
            e.at,
            e.kind,
            e.actor,
            Object.keys(e.data).length ? JSON.stringify(e.data) : "",
          ]),
        );
      }),
    );
}
