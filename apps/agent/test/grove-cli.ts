import { join } from "node:path";
import { OPERATOR } from "@grove/api/testing";
import { execa } from "execa";

const GROVE = join(import.meta.dirname, "../../cli/bin/grove.js");

/** What one `grove` run printed (stdout then stderr) and how it exited. */
export interface GroveRun {
  exitCode: number | undefined;
  out: string;
}

/**
 * The `grove` binary as a user runs it against `api`: the operator in the default tenant, its
 * config under `home`; `env` adds to the environment of one run.
 */
export function groveCli(api: string, home: string) {
  return async (args: string[], env: Record<string, string> = {}): Promise<GroveRun> => {
    const run = await execa(process.execPath, [GROVE, ...args], {
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
    return { exitCode: run.exitCode, out: `${run.stdout}${run.stderr}` };
  };
}
