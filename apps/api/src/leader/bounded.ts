/**
 * Runs tasks in the background with at most `limit` in flight, each under a key: a task whose key
 * is queued or running already is not added again. A round hands its commands here and goes on;
 * replies (or their timeouts) are handled by the tasks themselves. `low.notify` runs once each
 * time the tasks queued or running fall below `low.mark` (so whoever fills it can add more before
 * it runs dry).
 */
export class KeyedDispatch {
  /** queued tasks by key, in the order added (a Map: a stop drops its instance's start in O(1)) */
  readonly #queue = new Map<string, () => Promise<void>>();
  readonly #keys = new Set<string>();
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #aboveLow = false;

  constructor(
    private readonly limit: number,
    private readonly low?: { mark: number; notify: () => void },
  ) {}

  /** Tasks queued or running. */
  get size(): number {
    return this.#keys.size;
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** Adds the task unless one of its key is queued or running; returns whether it was added. */
  add(key: string, task: () => Promise<void>): boolean {
    if (this.#keys.has(key)) return false;
    this.#keys.add(key);
    this.#queue.set(key, task);
    if (this.low && this.#keys.size >= this.low.mark) this.#aboveLow = true;
    this.#pump();
    return true;
  }

  /** Drops the task of `key` if it is queued and not yet running; returns whether it was dropped. */
  cancel(key: string): boolean {
    if (!this.#queue.delete(key)) return false;
    this.#keys.delete(key);
    this.#checkLow();
    return true;
  }

  /** Drops the queued tasks and waits for the running ones. */
  async stop(): Promise<void> {
    for (const key of this.#queue.keys()) this.#keys.delete(key);
    this.#queue.clear();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#inFlight < this.limit && this.#queue.size > 0) {
      const [key, task] = this.#queue.entries().next().value as [string, () => Promise<void>];
      this.#queue.delete(key);
      this.#inFlight++;
      void task()
        .catch(() => {})
        .finally(() => {
          this.#inFlight--;
          this.#keys.delete(key);
          this.#pump();
          if (this.#inFlight === 0 && this.#queue.size === 0)
            for (const resolve of this.#idle.splice(0)) resolve();
          this.#checkLow();
        });
    }
  }

  #checkLow(): void {
    if (!this.low || !this.#aboveLow || this.#keys.size >= this.low.mark) return;
    this.#aboveLow = false;
    this.low.notify();
  }
}
