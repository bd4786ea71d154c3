import type { App, AppRef, GroveClient } from "@grove/client";
import type { Command } from "commander";
import { appRef, withSpaceOption } from "../app-ref";
import { action } from "../context";

/** Registers one of `grove start|stop|restart NAME [--space S]`. */
export function registerAppStateAction(
  program: Command,
  verb: string,
  description: string,
  done: string,
  call: (client: GroveClient, app: AppRef) => Promise<App>,
): void {
  withSpaceOption(program.command(verb))
    .description(description)
    .argument("<name>", "app name")
    .action(
      action(async (ctx, name: string, options: { space?: string }) => {
        const app = await call(await ctx.client(), appRef(name, options.space));
        if (ctx.out.json) ctx.out.record(app);
        else ctx.out.line(`${done} ${app.name}`);
      }),
    );
}
