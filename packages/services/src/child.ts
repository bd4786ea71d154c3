import type { ChildProcess } from "node:child_process";
import { ChildFailed, tailLines } from "@grove/child";

/**
 * Resolves when `child` prints a line matching `ready` on stdout or stderr. If it exits first,
 * rejects with ChildFailed (its last lines of output and `hint`); if `timeoutMs` passes, with an
 * error carrying the same.
 */
export function waitForOutput(
  child: ChildProcess,
  ready: RegExp,
  timeoutMs: number,
  what: string,
  hint = `Fix what ${what} says above, then start it again.`,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) finish();
    };
    // "exit" can come before the last output is read: wait for "close" (briefly: a grandchild may
    // hold the pipes open)
    const onExit = (code: number | null, signal: string | null) => {
      const failed = () =>
        finish(
          new ChildFailed(
            what,
            { exitCode: code ?? undefined, signal: signal ?? undefined, stderr: output },
            hint,
          ),
        );
      const grace = setTimeout(failed, 200);
      child.once("close", () => {
        clearTimeout(grace);
        failed();
      });
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `${what} was not ready within ${timeoutMs} ms; its last lines:\n${tailLines(output)}\n${hint}`,
          ),
        ),
      timeoutMs,
    );
    let finished = false;
    function finish(error?: Error) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", onExit);
  });
}

/** Sends `signal` to the child we started and waits for it to exit; SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
