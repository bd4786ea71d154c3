/**
 * Runs async sections one at a time, in the order they asked (a promise chain, not a lock with
 * waiters to wake). A failing section does not hold up the next.
 */
export class Exclusive {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(section);
    this.#tail = result.catch(() => {});
    return result;
  }
}
