/** The line a limited instance's logs get for each second in which lines were dropped. */
export function logRateNotice(linesPerSecond: number, dropped: number): string {
  return `grove: app instance exceeded log rate limit (${linesPerSecond} log-lines/sec) set by its quota; ${dropped} lines dropped`;
}

export interface LogRateClock {
  now(): number;
  /** runs `run` after `ms`; the returned function cancels it */
  after(ms: number, run: () => void): () => void;
}

const realClock: LogRateClock = {
  now: () => Date.now(),
  after(ms, run) {
    const timer = setTimeout(run, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * One instance's log-rate limit (Cloud Foundry's "log lines per second"), shared by its stdout and
 * stderr: at most `linesPerSecond` lines go out in each second of the clock, the rest are dropped
 * and counted. After a second with drops, one notice line (`logRateNotice`) goes out through
 * `notify` at the start of a later second, and it takes one of that second's lines, so what reaches
 * the app's logs never exceeds the limit in any second — notice included (a limit of 0 silences
 * the instance entirely).
 */
export class LogRateLimiter {
  #second = -1;
  #sent = 0;
  /** dropped since the last notice */
  #unreported = 0;
  /** the second whose drops the pending notice reports; it goes out in a later second */
  #noticeDueAfter = -1;
  #cancelNotice: (() => void) | undefined;
  #dropped = 0;

  constructor(
    readonly linesPerSecond: number,
    private readonly notify: (line: string) => void,
    private readonly clock: LogRateClock = realClock,
  ) {}

  /** Lines dropped since the instance started (on this agent). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Whether one more line may go out now; a refused line is counted as dropped. */
  admit(): boolean {
    this.#roll();
    if (this.#unreported > 0 && this.#second > this.#noticeDueAfter) this.#sendNotice();
    if (this.#sent < this.linesPerSecond) {
      this.#sent += 1;
      return true;
    }
    this.#dropped += 1;
    if (this.#unreported === 0) this.#noticeDueAfter = this.#second;
    this.#unreported += 1;
    if (this.linesPerSecond > 0) this.#scheduleNotice();
    return false;
  }

  /** Cancels a pending notice (the instance is gone). */
  close(): void {
    this.#cancelNotice?.();
    this.#cancelNotice = undefined;
  }

  #roll(): void {
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#sent = 0;
    }
  }

  /** A timer for the case where the instance falls silent after its burst. */
  #scheduleNotice(): void {
    if (this.#cancelNotice) return;
    const wait = 1000 - (this.clock.now() % 1000) + 1;
    this.#cancelNotice = this.clock.after(wait, () => {
      this.#cancelNotice = undefined;
      this.#roll();
      if (this.#unreported === 0) return;
      if (this.#second > this.#noticeDueAfter && this.#sent < this.linesPerSecond) this.#sendNotice();
      else this.#scheduleNotice();
    });
  }

  #sendNotice(): void {
    if (this.#sent >= this.linesPerSecond) return;
    this.#sent += 1;
    const dropped = this.#unreported;
    this.#unreported = 0;
    this.notify(logRateNotice(this.linesPerSecond, dropped));
  }
}
