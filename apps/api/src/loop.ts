import type { Logger } from "pino";

/** A running periodic task. */
export interface Loop {
  /** Runs the task soon instead of at the next interval (coalesced with a run in progress). */
  wake(): void;
  /** Stops scheduling and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs `tick` every `intervalMs` after the previous run ends (runs never overlap) and whenever
 * woken. A failing run is logged and the loop goes on.
 */
export function startLoop(name: string, intervalMs: number, tick: () => Promise<void>, log: Logger): Loop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inProgress: Promise<void> | undefined;
  let wokenDuringRun = false;

  const run = () => {
    clearTimeout(timer);
    if (stopped) return;
    inProgress = tick()
      .catch((error) => log.error({ err: error, loop: name }, "loop run failed"))
      .finally(() => {
        inProgress = undefined;
        if (wokenDuringRun) {
          wokenDuringRun = false;
          run();
        } else schedule();
      });
  };
  const schedule = () => {
    if (!stopped) timer = setTimeout(run, intervalMs);
  };
  schedule();
  return {
    wake() {
      if (inProgress) wokenDuringRun = true;
      else run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inProgress;
    },
  };
}
