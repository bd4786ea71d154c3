/** A task of the dispatch and the keys it covers (those still wanted: a cancel drops one). */
interface Entry {
  keys: Set<string>;
  run: (keys: readonly string[]) => Promise<void>;
}

/**
 * Runs tasks in the background with at most `limit` in flight, each under a key, or under several
 * (`addGroup`: one task for many keys, e.g. one cell's batch of starts): a key queued or running
 * already is not added again. A round hands its commands here and goes on; replies (or their
 * timeouts) are handled by the tasks themselves. `size` and the low-water mark count keys (one per
 * instance), `limit` tasks (one per command). `low.notify` runs once each time the keys queued or
 * running fall below `low.mark` (so whoever fills it can add more before it runs dry).
 */
export class KeyedDispatch {
  /** queued tasks, in the order added (a Set: a cancel drops an emptied task in O(1)) */
  readonly #queue = new Set<Entry>();
  /** every key queued or running, with the task that covers it */
  readonly #keys = new Map<string, Entry>();
  #inFlight = 0;
  #idle: (() => void)[] = [];
  #aboveLow = false;

  constructor(
    private readonly limit: number,
    private readonly low?: { mark: number; notify: () => void },
  ) {}

  /** Keys queued or running. */
  get size(): number {
    return this.#keys.size;
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** Adds the task unless one of its key is queued or running; returns whether it was added. */
  add(key: string, task: () => Promise<void>): boolean {
    return this.addGroup([key], () => task()).length > 0;
  }

  /**
   * Adds one task for the keys not queued or running already; it runs with those of them still
   * wanted then (a cancel drops a key from it, and the task once it has none). Returns the keys added.
   */
  addGroup(keys: readonly string[], task: (keys: readonly string[]) => Promise<void>): string[] {
    const added = keys.filter((key) => !this.#keys.has(key));
    if (added.length === 0) return added;
    const entry: Entry = { keys: new Set(added), run: task };
    for (const key of entry.keys) this.#keys.set(key, entry);
    this.#queue.add(entry);
    if (this.low && this.#keys.size >= this.low.mark) this.#aboveLow = true;
    this.#pump();
    return added;
  }

  /** Drops `key` from its task if that is queued and not yet running; returns whether it was dropped. */
  cancel(key: string): boolean {
    const entry = this.#keys.get(key);
    if (!entry || !this.#queue.has(entry)) return false;
    entry.keys.delete(key);
    this.#keys.delete(key);
    if (entry.keys.size === 0) this.#queue.delete(entry);
    this.#checkLow();
    return true;
  }

  /** Drops the queued tasks and waits for the running ones. */
  async stop(): Promise<void> {
    for (const entry of this.#queue) for (const key of entry.keys) this.#keys.delete(key);
    this.#queue.clear();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#inFlight < this.limit && this.#queue.size > 0) {
      const entry = this.#queue.values().next().value as Entry;
      this.#queue.delete(entry);
      this.#inFlight++;
      void entry
        .run([...entry.keys])
        .catch(() => {})
        .finally(() => {
          this.#inFlight--;
          for (const key of entry.keys) this.#keys.delete(key);
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
