/**
 * When each instance's start last went to its cell or was accepted by it, in the leader's memory:
 * the start pump holds back a due start whose cell heard of it less than the resend time ago (a
 * claim stamps `command_sent_at` before the start waits in the dispatch, so without this a start
 * accepted late, or whose events come late, was sent again while its cell worked on it). Kept in
 * the order last touched, so entries past the resend time are dropped from the front.
 */
export class StartContacts {
  readonly #at = new Map<string, number>();

  /** The starts of `instanceIds` went to their cell, or it accepted them, at `at` (ms). */
  touch(instanceIds: Iterable<string>, at = Date.now()): void {
    for (const id of instanceIds) {
      // moved to the end: the map stays in the order of the last touch
      this.#at.delete(id);
      this.#at.set(id, at);
    }
  }

  /** True when the cell of `instanceId` heard of its start after `since` (ms). */
  heardAfter(instanceId: string, since: number): boolean {
    return (this.#at.get(instanceId) ?? Number.NEGATIVE_INFINITY) > since;
  }

  /** Forgets the contacts of `instanceIds` (their cell restarted: what it heard is gone). */
  forget(instanceIds: Iterable<string>): void {
    for (const id of instanceIds) this.#at.delete(id);
  }

  /** Forgets the contacts at or before `since` (ms). */
  prune(since: number): void {
    for (const [id, at] of this.#at) {
      if (at > since) break;
      this.#at.delete(id);
    }
  }

  get size(): number {
    return this.#at.size;
  }
}
