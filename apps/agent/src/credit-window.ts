/** The credit of a window ran out for good: it was closed, or nobody granted any for too long. */
export class WindowClosed extends Error {
  constructor(reason: string) {
    super(`output window closed: ${reason}`);
    this.name = "WindowClosed";
  }
}

/**
 * Bytes a sender may still send before its receiver grants more (credit-based flow control, as in
 * HTTP/2 windows). A sender takes credit before each send and waits while there is none, so it
 * never runs ahead of its receiver by more than the window.
 */
export class CreditWindow {
  #credit: number;
  #closed?: WindowClosed;
  readonly #waiters = new Set<() => void>();

  /** `idleMs`: how long `take` waits for a grant before it gives up (the receiver is gone). */
  constructor(
    initial: number,
    private readonly idleMs = 10 * 60_000,
  ) {
    this.#credit = initial;
  }

  /** Credit not yet taken. */
  get available(): number {
    return this.#credit;
  }

  grant(bytes: number): void {
    this.#credit += bytes;
    for (const wake of this.#waiters) wake();
  }

  /** Takes up to `max` bytes of credit, waiting until there is some; throws `WindowClosed`. */
  async take(max: number): Promise<number> {
    while (this.#credit <= 0) {
      if (this.#closed) throw this.#closed;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.close(`no credit granted for ${this.idleMs} ms`), this.idleMs);
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
      });
    }
    if (this.#closed) throw this.#closed;
    const n = Math.min(max, this.#credit);
    this.#credit -= n;
    return n;
  }

  close(reason = "closed"): void {
    this.#closed ??= new WindowClosed(reason);
    for (const wake of this.#waiters) wake();
  }
}
