/**
 * Applies the api's versioned, idempotent "replace everything" states (policy slices, apply-peers)
 * one at a time: an older version than the last applied (a late retry) and content equal to what is
 * in force change nothing.
 */
export class VersionedApply<C extends { version: number }> {
  #version = -1;
  #inForce: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    /** what in the command is enforced: equal keys mean nothing to do */
    private readonly keyOf: (command: C) => string,
    private readonly enforce: (command: C) => Promise<void>,
  ) {}

  /** the version last applied (or found equal to what is in force); -1 before the first */
  get version(): number {
    return this.#version;
  }

  apply(command: C): Promise<{ duplicate: boolean }> {
    const run = this.#queue.then(() => this.#apply(command));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(command: C): Promise<{ duplicate: boolean }> {
    if (command.version < this.#version) return { duplicate: true };
    const key = this.keyOf(command);
    if (key === this.#inForce) {
      this.#version = command.version;
      return { duplicate: true };
    }
    await this.enforce(command);
    this.#version = command.version;
    this.#inForce = key;
    return { duplicate: false };
  }
}
