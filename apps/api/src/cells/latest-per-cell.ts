/**
 * Handles the newest message of each cell, `concurrency` cells at once: a message that arrives while
 * an older one of its cell still waits replaces it (a heartbeat is a whole report, so the newer says
 * all the older did), and a cell's messages are handled one at a time, in order. Heartbeats were
 * stored one at a time: at 1,000 cells (200 beats/s, 100 instances a report) under load that fell
 * behind, and a backlog of the ramp's beats was written, each a change, for minutes after it. Waiting
 * messages are at most one per cell.
 */
export class LatestPerCell<T> {
  /** waiting messages by cell, the longest-waiting cell first (a replaced message keeps its place) */
  readonly #waiting = new Map<string, T>();
  readonly #busy = new Set<string>();
  #idle: (() => void) | undefined;

  constructor(
    private readonly handle: (message: T) => Promise<void>,
    private readonly concurrency: number,
    /** called with each message replaced by a newer one of its cell before it was handled */
    private readonly superseded: (message: T) => void = () => {},
  ) {}

  offer(cellId: string, message: T): void {
    const older = this.#waiting.get(cellId);
    if (older !== undefined) this.superseded(older);
    this.#waiting.set(cellId, message);
    this.#pump();
  }

  /** Messages waiting (at most one per cell) and cells being handled. */
  get size(): { waiting: number; handling: number } {
    return { waiting: this.#waiting.size, handling: this.#busy.size };
  }

  /** Resolves once nothing waits or is handled. */
  idle(): Promise<void> {
    if (this.#waiting.size === 0 && this.#busy.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#idle;
      this.#idle = () => {
        previous?.();
        resolve();
      };
    });
  }

  #pump(): void {
    if (this.#busy.size >= this.concurrency) return;
    for (const [cellId, message] of this.#waiting) {
      if (this.#busy.has(cellId)) continue;
      this.#waiting.delete(cellId);
      this.#busy.add(cellId);
      void this.handle(message)
        .catch(() => {})
        .finally(() => {
          this.#busy.delete(cellId);
          this.#pump();
          if (this.#waiting.size === 0 && this.#busy.size === 0) {
            const idle = this.#idle;
            this.#idle = undefined;
            idle?.();
          }
        });
      if (this.#busy.size >= this.concurrency) return;
    }
  }
}
