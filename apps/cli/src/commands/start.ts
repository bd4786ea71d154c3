import type { Command } from "commander";
import { registerAppStateAction } from "./app-state-action";

/** `grove start NAME`. */
export function registerStart(program: Command): void {
  registerAppStateAction(program, "start", "start an app's instances", "started", (c, n) => c.startApp(n));
}
