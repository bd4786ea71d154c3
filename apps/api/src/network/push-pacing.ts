/**
 * Paces a push whose cost grows with the square of the cluster (overlay peers: every cell is sent
 * every other, a million entries at 1,000 cells): the next push starts no sooner after the last one
 * ended than `ratio` times as long as that one took (at most `maxGapMs`). While cells join in bulk
 * every join changes the peers, and pushes ran back to back, taking the machine from the joins;
 * paced, they take at most 1/(ratio+1) of the time and each carries every join since the last. A
 * push of a small cluster takes milliseconds, so it is not held back noticeably. What counts is the
 * push's own work: one that says when it has made and sent its commands (`made`) is not charged for
 * the cells' replies it then waits for (a new cell setting up its overlay takes seconds to answer,
 * and the push that tells the others of it must not wait twice that).
 */
export class PushPacing {
  #lastEnd = 0;
  #lastDuration = 0;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(
    private readonly ratio = 2,
    private readonly maxGapMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long the next push waits if it is asked for now. */
  gapMs(): number {
    return Math.max(0, this.#lastEnd + Math.min(this.maxGapMs, this.ratio * this.#lastDuration) - this.now());
  }

  /**
   * Waits out the gap, then runs `push` and times it up to its call of `made` (or its end); once
   * stopped, runs nothing and gives `idle`.
   */
  async run<T>(push: (made: () => void) => Promise<T>, idle: T): Promise<T> {
    const wait = this.gapMs();
    if (wait > 0 && !this.#stopped)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    this.#wake = undefined;
    if (this.#stopped) return idle;
    const started = this.now();
    let madeAt: number | undefined;
    try {
      return await push(() => {
        madeAt ??= this.now();
      });
    } finally {
      this.#lastEnd = madeAt ?? this.now();
      this.#lastDuration = this.#lastEnd - started;
    }
  }

  /** Ends a wait under way; later runs push nothing. */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }
}
