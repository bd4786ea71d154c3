/** A task of the dispatch and the keys it covers (those still wanted: a cancel drops one). */
interface Entry {
  /** its keys, each with the value its task gets */
  items: Map<string, unknown>;
  run: (values: unknown[]) => Promise<void>;
  /** a queued task of a label takes in later keys of the same label, up to `max` */
  label?: string;
  max: number;
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
  /** the queued task of each label that may take in more keys */
  readonly #open = new Map<string, Entry>();
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
    return this.addGroup([[key, undefined]], () => task()) > 0;
  }

  /**
   * Adds the keys not queued or running already, each with a value, under one task that runs with
   * the values of those still wanted then (a cancel drops a key from it, and the task once it has
   * none). With `join`, they go into the queued task of the same label first (while it has fewer
   * than `max` keys) and the rest into new tasks of at most `max` keys: under a backlog, one cell's
   * starts gather into fuller batches. Tasks of one label must do the same with their values.
   * Returns how many keys were added.
   */
  addGroup<T>(
    items: Iterable<readonly [string, T]>,
    task: (values: T[]) => Promise<void>,
    join?: { label: string; max: number },
  ): number {
    let added = 0;
    let entry = join ? this.#open.get(join.label) : undefined;
    for (const [key, value] of items) {
      if (this.#keys.has(key)) continue;
      if (!entry || entry.items.size >= entry.max) {
        entry = {
          items: new Map(),
          run: task as (values: unknown[]) => Promise<void>,
          max: join?.max ?? Number.POSITIVE_INFINITY,
          ...(join ? { label: join.label } : {}),
        };
        this.#queue.add(entry);
        if (join) this.#open.set(join.label, entry);
      }
      entry.items.set(key, value);
      this.#keys.set(key, entry);
      added++;
    }
    if (added === 0) return 0;
    if (this.low && this.#keys.size >= this.low.mark) this.#aboveLow = true;
    this.#pump();
    return added;
  }

  /** Drops `key` from its task if that is queued and not yet running; returns whether it was dropped. */
  cancel(key: string): boolean {
    const entry = this.#keys.get(key);
    if (!entry || !this.#queue.has(entry)) return false;
    entry.items.delete(key);
    this.#keys.delete(key);
    if (entry.items.size === 0) this.#dequeue(entry);
    this.#checkLow();
    return true;
  }

  /** Drops the queued tasks and waits for the running ones. */
  async stop(): Promise<void> {
    for (const entry of this.#queue) for (const key of entry.items.keys()) this.#keys.delete(key);
    this.#queue.clear();
    this.#open.clear();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #dequeue(entry: Entry): void {
    this.#queue.delete(entry);
    if (entry.label !== undefined && this.#open.get(entry.label) === entry) this.#open.delete(entry.label);
  }

  #pump(): void {
    while (this.#inFlight < this.limit && this.#queue.size > 0) {
      const entry = this.#queue.values().next().value as Entry;
      this.#dequeue(entry);
      this.#inFlight++;
      void entry
        .run([...entry.items.values()])
        .catch(() => {})
        .finally(() => {
          this.#inFlight--;
          for (const key of entry.items.keys()) this.#keys.delete(key);
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
