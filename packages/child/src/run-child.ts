import { spawn } from "node:child_process";
import { ChildFailed, type ChildOutcome } from "./child-failed";

export interface ChildOptions {
  /** written to the tool's stdin, which is then closed (default: nothing) */
  input?: string;
  /** added to this process's environment */
  env?: Record<string, string>;
  uid?: number;
  gid?: number;
  cwd?: string;
}

/**
 * Runs a host tool to its end and returns how it ended, never rejecting. A tool that cannot be
 * started at all (not installed, not executable) ends with code 127 and says so on stderr. Plain
 * `spawn` rather than execa: runtime and network paths run one per container operation, where
 * execa's extra millisecond per call shows.
 */
export function tryChild(
  file: string,
  args: readonly string[],
  options: ChildOptions = {},
): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on("error", () => {}); // a tool that exits without reading its input
    child.stdin.end(options.input ?? "");
    let spawnError: Error | undefined;
    child.on("error", (error) => {
      spawnError = error;
    });
    child.on("close", (code, signal) => {
      if (spawnError) {
        const missing = (spawnError as NodeJS.ErrnoException).code === "ENOENT";
        resolve({
          exitCode: 127,
          stdout: "",
          stderr: missing
            ? `${file}: not found (npm run setup installs Grove's tools)`
            : `${file}: ${spawnError.message}`,
        });
        return;
      }
      resolve({
        exitCode: code ?? undefined,
        signal: signal ?? undefined,
        stdout: withoutFinalNewline(Buffer.concat(stdout).toString()),
        stderr: withoutFinalNewline(Buffer.concat(stderr).toString()),
      });
    });
  });
}

/** Runs a host tool and returns its stdout; any other ending throws ChildFailed with `hint`. */
export async function runChild(
  file: string,
  args: readonly string[],
  options: ChildOptions & { hint: string },
): Promise<string> {
  const outcome = await tryChild(file, args, options);
  if (outcome.exitCode !== 0) throw new ChildFailed(file, outcome, options.hint);
  return outcome.stdout;
}

function withoutFinalNewline(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}
