import type { Command } from "commander";
import { registerAppStateAction } from "./app-state-action";

/** `grove stop NAME`. */
export function registerStop(program: Command): void {
  registerAppStateAction(program, "stop", "stop all of an app's instances", "stopped", (c, n) =>
    c.stopApp(n),
  );
}
