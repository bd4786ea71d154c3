import { execFile } from "node:child_process";

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a short command (runtime, monitor) and collects its output, never rejecting: the caller
 * reads the exit code. Plain `execFile` rather than execa on this path: every container create,
 * exec and destroy goes through it, and execa adds more than a millisecond per call.
 */
export function runCommand(binary: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(binary, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = (error as (Error & { code?: number | string }) | null)?.code;
      resolve({
        exitCode: error ? (typeof code === "number" ? code : 127) : 0,
        stdout: String(stdout),
        stderr: error && !stderr && typeof code === "string" ? `${binary}: ${error.message}` : String(stderr),
      });
    });
  });
}
