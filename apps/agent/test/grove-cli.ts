import { join } from "node:path";
import { OPERATOR } from "@grove/api/testing";
import { execa } from "execa";

const GROVE = join(import.meta.dirname, "../../cli/bin/grove.js");

/** What one `grove` run printed (stdout then stderr) and how it exited. */
export interface GroveRun {
  exitCode: number | undefined;
  out: string;
}

/** A `grove` run still going: what it printed so far (stdout and stderr as they came), and its end. */
export interface GroveRunning {
  printed(): string;
  done: Promise<GroveRun>;
  /** ends the run if it still goes */
  kill(): void;
}

/**
 * The `grove` binary as a user runs it against `api`: the operator in the default tenant, its
 * config under `home`; `env` adds to the environment of one run. `start` does not wait for the end.
 */
export function groveCli(api: string, home: string) {
  const start = (args: string[], env: Record<string, string> = {}): GroveRunning => {
    const child = execa(process.execPath, [GROVE, ...args], {
      env: {
        ...process.env,
        GROVE_API: api,
        GROVE_TOKEN: OPERATOR,
        GROVE_TENANT: "default",
        XDG_CONFIG_HOME: home,
        ...env,
      },
      reject: false,
    });
    let printed = "";
    child.stdout?.on("data", (chunk: Buffer) => (printed += chunk));
    child.stderr?.on("data", (chunk: Buffer) => (printed += chunk));
    return {
      printed: () => printed,
      kill: () => void child.kill(),
      done: child.then((run) => ({ exitCode: run.exitCode, out: `${run.stdout}${run.stderr}` })),
    };
  };
  return Object.assign((args: string[], env: Record<string, string> = {}) => start(args, env).done, {
    start,
  });
}
