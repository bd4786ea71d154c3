import type { App, GroveClient } from "@grove/client";
import type { Command } from "commander";
import { action } from "../context";

/** Registers one of `grove start|stop|restart NAME`. */
export function registerAppStateAction(
  program: Command,
  verb: string,
  description: string,
  done: string,
  call: (client: GroveClient, name: string) => Promise<App>,
): void {
  program
    .command(verb)
    .description(description)
    .argument("<name>", "app name")
    .action(
      action(async (ctx, name: string) => {
        const app = await call(await ctx.client(), name);
        if (ctx.out.json) ctx.out.record(app);
        else ctx.out.line(`${done} ${app.name}`);
      }),
    );
}
