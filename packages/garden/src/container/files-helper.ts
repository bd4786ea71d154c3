import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { GardenError, InvalidSpec } from "../errors";

/** The container and user a grove-files run acts in (ids as the container knows them). */
export interface FilesTarget {
  binary: string;
  handle: string;
  initPid: number;
  uid: number;
  gid: number;
}

export interface FilesRun {
  stdout: Readable;
  /** settles when the helper ends: undefined on success, else the error to report */
  outcome: Promise<Error | undefined>;
  kill(): void;
}

const maxStderr = 4096;

/**
 * Starts grove-files (monitor/grove-files.c): it enters the container's user and mount
 * namespaces, becomes the user and only then looks at `path`, so every lookup resolves inside the
 * container. Exit 2 means the request cannot be done as asked (InvalidSpec, with its reason).
 */
export function runFilesHelper(
  target: FilesTarget,
  args: ["in", string, string] | ["out", string],
): FilesRun {
  const [mode, path, ...rest] = args;
  const argv = [mode, String(target.initPid), String(target.uid), String(target.gid), path, ...rest];
  const child = spawn(target.binary, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    if (stderr.length < maxStderr) stderr += text;
  });
  const outcome = new Promise<Error | undefined>((resolve) => {
    child.once("error", (error) => resolve(new GardenError(`grove-files: ${error.message}`)));
    child.once("close", (code, signal) => {
      const reason = stderr.trim() || `exited with ${code ?? signal}`;
      if (code === 0) resolve(undefined);
      else if (code === 2)
        resolve(new InvalidSpec(`stream ${mode} ${path}: ${reason}`, { handle: target.handle }));
      else resolve(new GardenError(`stream ${mode} ${path}: ${reason}`, { handle: target.handle }));
    });
  });
  return {
    stdout: child.stdout,
    outcome,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
