import type { Logger } from "pino";

/** What stopOnSignals listens on: `process`, or a stand-in in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/**
 * Runs `stop` on the first SIGINT or SIGTERM; later signals are logged and ignored, so a second
 * Ctrl-C or a supervisor's repeated SIGTERM cannot kill the process halfway through closing (with
 * `process.once`, a repeated signal finds no listener left and its default action ends the process).
 */
export function stopOnSignals(
  stop: (signal: NodeJS.Signals) => void,
  log: Logger,
  source: SignalSource = process,
): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    source.on(signal, () => {
      if (stopping) {
        log.info({ signal }, "already stopping");
        return;
      }
      stopping = true;
      stop(signal);
    });
  }
}
