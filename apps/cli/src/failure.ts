import { ApiError, GroveClientError } from "@grove/client";
import { CommanderError } from "commander";
import { CliError, EXIT, ProcessExited } from "./errors";

/** The one line `grove` prints for a failure (empty: nothing to print), and its exit code. */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  const oneLine = (text: string) => `grove: ${text.replace(/\s*\n\s*/g, " ").trim()}`;
  if (error instanceof ProcessExited) return { line: "", exitCode: error.exitCode };
  if (error instanceof CliError) return { line: oneLine(error.message), exitCode: error.exitCode };
  if (error instanceof CommanderError) {
    return { line: oneLine(error.message.replace(/^error: /, "")), exitCode: EXIT.error };
  }
  if (error instanceof ApiError) {
    const hint = error.status === 401 ? "; run grove login" : "";
    return { line: oneLine(`${error.detail} (${error.status} ${error.title})${hint}`), exitCode: EXIT.error };
  }
  if (error instanceof GroveClientError) {
    return { line: oneLine(error.message), exitCode: EXIT.error };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: oneLine(message), exitCode: EXIT.error };
}
