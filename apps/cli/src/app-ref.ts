import type { App, AppRef } from "@grove/client";
import type { Command } from "commander";

/**
 * Adds `--space` to an app command: app names are unique per space, and without it the API finds
 * the one app of that name among the spaces the caller sees.
 */
export function withSpaceOption(command: Command): Command {
  return command.option(
    "--space <space>",
    "the app's space (needed when several spaces have an app of that name)",
  );
}

/** The app a command names: by name, in a space when `--space` was given. */
export function appRef(name: string, space: string | undefined): AppRef {
  return space === undefined ? name : { name, space };
}

/** The exact app a result names (its space included), for the calls that follow. */
export function refOf(app: Pick<App, "name" | "space">): AppRef {
  return { name: app.name, space: app.space };
}
