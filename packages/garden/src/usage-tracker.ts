/**
 * When each container was last used, and how many open streams hold it, for the grace-time reaper.
 * In memory only: after a restart every container counts as just used.
 */
export class UsageTracker {
  private readonly lastUse = new Map<string, number>();
  private readonly holds = new Map<string, number>();

  touch(handle: string): void {
    this.lastUse.set(handle, Date.now());
  }

  hold(handle: string): () => void {
    this.touch(handle);
    this.holds.set(handle, (this.holds.get(handle) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.touch(handle);
      this.holds.set(handle, (this.holds.get(handle) ?? 1) - 1);
    };
  }

  /** Whether the container has been unused for longer than `graceMs`. */
  expired(handle: string, graceMs: number, now = Date.now()): boolean {
    if ((this.holds.get(handle) ?? 0) > 0) return false;
    const last = this.lastUse.get(handle);
    if (last === undefined) {
      this.touch(handle);
      return false;
    }
    return now - last > graceMs;
  }

  forget(handle: string): void {
    this.lastUse.delete(handle);
    this.holds.delete(handle);
  }
}
