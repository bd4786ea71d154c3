import type { Logger } from "pino";

/** A running periodic task. */
export interface Loop {
  /** Runs the task soon instead of at the next interval (coalesced with a run in progress). */
  wake(): void;
  /** Stops scheduling and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

/** A loop as `startLoop` runs it. */
export interface RunningLoop extends Loop {
  /**
   * Like `wake`, for work the previous run left to do (more starts due): the next run waits for the
   * gap only, not the rest after a run.
   */
  hurry(): void;
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
): RunningLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inProgress: Promise<void> | undefined;
  let wokenDuringRun = false;
  let hurriedDuringRun = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  let lastEnd = Number.NEGATIVE_INFINITY;
  let gapTimer: NodeJS.Timeout | undefined;
  let gapDue = 0;

  const runAfterGap = (hurried = false) => {
    const rest = minGapMs > 0 && !hurried ? lastEnd - lastStart : 0;
    const due = Math.max(lastStart + minGapMs, lastEnd + rest);
    const wait = due - Date.now();
    if (wait <= 0) return run();
    // a waiting run is moved earlier by a hurry, never later
    if (gapTimer && gapDue <= due) return;
    clearTimeout(gapTimer);
    gapDue = due;
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
          const hurried = hurriedDuringRun;
          wokenDuringRun = false;
          hurriedDuringRun = false;
          runAfterGap(hurried);
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
    hurry() {
      if (inProgress) {
        wokenDuringRun = true;
        hurriedDuringRun = true;
      } else runAfterGap(true);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(gapTimer);
      await inProgress;
    },
  };
}
