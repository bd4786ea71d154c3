/**
 * Runs `work` one run at a time: a request while a run is under way makes one more run after it
 * (however many requests came), so the last request is always followed by a run that began after
 * it. `work` handles its own failures (a rejection is dropped; the next request runs it again).
 */
export class OneAtATime {
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(private readonly work: () => Promise<void>) {}

  /** Runs now, or once more after the run under way; nothing once stopped. */
  request(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.work().catch(() => {});
      } while (this.#again && !this.#stopped);
      this.#running = undefined;
    })();
  }

  /** Starts no other run and waits for the one under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }
}
