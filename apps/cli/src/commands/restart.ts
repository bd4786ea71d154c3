import type { Command } from "commander";
import { registerAppStateAction } from "./app-state-action";

/** `grove restart NAME`. */
export function registerRestart(program: Command): void {
  registerAppStateAction(program, "restart", "replace every instance of an app", "restarting", (c, n) =>
    c.restartApp(n),
  );
}
