import type { GroveClient } from "@grove/client";
import type { Command } from "commander";
import { UsageError } from "./errors";
import { createOutput, type Output } from "./output";
import { clientFor, type GlobalFlags, resolveSettings, type Settings } from "./settings";

/** What a command's action works with. */
export interface Context {
  flags: GlobalFlags;
  out: Output;
  settings(): Promise<Settings>;
  /** A client with the resolved settings; throws `NotLoggedIn` without a token. */
  client(): Promise<GroveClient>;
}

/** The context of the command being run (its own and its parents' flags). */
export function contextOf(command: Command): Context {
  const flags = command.optsWithGlobals<GlobalFlags>();
  const out = createOutput(flags.json === true);
  let settings: Promise<Settings> | undefined;
  const resolve = () => {
    settings ??= resolveSettings(flags);
    return settings;
  };
  return { flags, out, settings: resolve, client: async () => clientFor(await resolve()) };
}

/**
 * Wraps a command action: the context comes first, then the action's own arguments and options.
 *
 * @example
 * .action(action(async (ctx, name: string) => { ... }))
 */
export function action<A extends unknown[]>(
  run: (ctx: Context, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    await run(contextOf(command), ...(args.slice(0, -1) as A));
  };
}

/**
 * Makes a noun (`grove apps`) that only groups verbs: alone, or with an unknown verb, it is a
 * usage error. Call `allowExcessArguments(true)` on it once its verbs are registered (verbs
 * inherit settings when created, and must keep refusing extra arguments).
 */
export function noun(parent: Command, name: string, description: string): Command {
  const path = parent.parent ? `${parent.name()} ${name}` : name;
  return parent
    .command(name)
    .description(description)
    .action(function nounWithoutVerb(this: Command) {
      const verbs = this.commands.map((c) => c.name()).join(", ");
      const [first] = this.args;
      if (first !== undefined) {
        throw new UsageError(`unknown command 'grove ${path} ${first}': use ${verbs}`);
      }
      throw new UsageError(`grove ${path} needs a command: ${verbs} (see grove ${path} --help)`);
    });
}
