import { execa } from "execa";
import { MountFailed } from "./errors";

/** Runs a host tool; a failure becomes `MountFailed` carrying the tool's own stderr. */
export async function run(operation: string, file: string, args: string[]): Promise<string> {
  const result = await execa(file, args, { reject: false, stdin: "ignore" });
  if (result.exitCode !== 0) {
    const detail = (result.stderr || result.stdout || `${file} exited with ${result.exitCode}`).trim();
    throw new MountFailed(operation, detail);
  }
  return result.stdout;
}
