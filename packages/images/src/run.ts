import { ChildFailed, tryChild } from "@grove/child";
import { MountFailed } from "./errors";

/** Runs a host tool; a failure becomes `MountFailed` carrying the tool's own last lines and `hint`. */
export async function run(operation: string, file: string, args: string[], hint: string): Promise<string> {
  const outcome = await tryChild(file, args);
  if (outcome.exitCode !== 0) throw new MountFailed(operation, new ChildFailed(file, outcome, hint));
  return outcome.stdout;
}
