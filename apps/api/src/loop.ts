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
 * woken, but a woken run starts no sooner than `minGapMs` after the previous one started: a stream
 * of wakes (one per instance event) runs the loop at most once per gap, not back to back. With a gap,
 * a woken run also waits after the previous run ended as long as that run took, so a loop woken
 * without pause is busy at most half the time and leaves the event loop and Postgres to requests and
 * instance events (a slow run under load is not followed by another at once). A failing run is
 * logged and the loop goes on.
 */
export function startLoop(
  name: string,
  intervalMs: number,
  tick: () => Promise<void>,
  log: Logger,
  minGapMs = 0,
): Loop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inProgress: Promise<void> | undefined;
  let wokenDuringRun = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  let lastEnd = Number.NEGATIVE_INFINITY;
  let gapTimer: NodeJS.Timeout | undefined;

  const runAfterGap = () => {
    const rest = minGapMs > 0 ? lastEnd - lastStart : 0;
    const wait = Math.max(lastStart + minGapMs, lastEnd + rest) - Date.now();
    if (wait <= 0) return run();
    if (gapTimer) return;
    gapTimer = setTimeout(() => {
      gapTimer = undefined;
      if (!inProgress) run();
      else wokenDuringRun = true;
    }, wait);
  };
  const run = () => {
    clearTimeout(timer);
    clearTimeout(gapTimer);
    gapTimer = undefined;
    if (stopped) return;
    lastStart = Date.now();
    inProgress = tick()
      .catch((error) => log.error({ err: error, loop: name }, "loop run failed"))
      .finally(() => {
        inProgress = undefined;
        lastEnd = Date.now();
        if (wokenDuringRun) {
          wokenDuringRun = false;
          runAfterGap();
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
      else runAfterGap();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(gapTimer);
      await inProgress;
    },
  };
}
