import type { ChildProcess } from "node:child_process";

/**
 * Resolves when `child` prints a line matching `ready` on stdout or stderr; rejects with the tail of
 * its output if it exits first or `timeoutMs` passes.
 */
export function waitForOutput(
  child: ChildProcess,
  ready: RegExp,
  timeoutMs: number,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) finish();
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`${what} exited (${code ?? signal}) before it was ready: ${tail(output)}`));
    const timer = setTimeout(
      () => finish(new Error(`${what} was not ready within ${timeoutMs} ms: ${tail(output)}`)),
      timeoutMs,
    );
    function finish(error?: Error) {
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

function tail(text: string): string {
  return text.trim().split("\n").slice(-5).join(" | ");
}
