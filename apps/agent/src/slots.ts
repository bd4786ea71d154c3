/**
 * At most `size` tasks run at once; the others wait their turn in arrival order. The agent keeps
 * one for container starts and one for teardowns, so a burst of starts on a busy cell neither
 * takes every core nor keeps the teardowns of stopped instances waiting behind it.
 */
export class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`slots: want a whole number ≥ 1, got ${size}`);
    this.#free = size;
  }

  /** tasks waiting for a slot */
  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    }
  }
}
