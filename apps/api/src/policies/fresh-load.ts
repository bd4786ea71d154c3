/**
 * Shares loads among callers without ever answering a caller with data read before it asked: a
 * caller gets the load that starts next, so everyone who asks while a load is under way shares the
 * one after it. Cells pulling their slices after one announcement then cost two loads, not one each.
 */
export class FreshLoad<T> {
  #current: Promise<T> | undefined;
  #next: Promise<T> | undefined;

  constructor(private readonly load: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.#current) return this.#start();
    this.#next ??= this.#current
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#start();
      });
    return this.#next;
  }

  #start(): Promise<T> {
    const run: Promise<T> = this.load().finally(() => {
      if (this.#current === run) this.#current = undefined;
    });
    this.#current = run;
    return run;
  }
}
