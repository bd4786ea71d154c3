import { cellOfSubject, subjects } from "@grove/protocol";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";

/**
 * Which cells the leader heard from lately, kept in memory from every heartbeat (NATS lets a cell's
 * user publish only its own heartbeat subject, so the subject names the sender). Heartbeats are
 * stored only when they change something; this is what tells a live cell from a silent one.
 */
export class CellLiveness {
  private readonly lastSeen = new Map<string, number>();
  private subscription: Subscription | undefined;
  /** when this leader started listening: before a TTL has passed, its memory cannot tell silence */
  since: number;
  /** when the last presence check ended */
  private lastCheckEnd: number;

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
    this.lastCheckEnd = this.since;
  }

  /** Listens to every cell's heartbeats on `nc` (not in the api's queue group: the leader hears all). */
  listen(nc: NatsConnection): this {
    this.subscription = nc.subscribe(subjects.allHeartbeats, {
      callback: (_error, msg) => {
        const cellId = cellOfSubject(msg.subject);
        if (cellId !== undefined) this.seen(cellId);
      },
    });
    return this;
  }

  seen(cellId: string): void {
    this.lastSeen.set(cellId, this.now());
  }

  /** Cells heard from within `ttlMs`. */
  alive(ttlMs: number): string[] {
    const cutoff = this.now() - ttlMs;
    const alive: string[] = [];
    for (const [cellId, at] of this.lastSeen) {
      if (at >= cutoff) alive.push(cellId);
      else this.lastSeen.delete(cellId);
    }
    return alive;
  }

  /** True once this leader has listened for `ttlMs`, so a cell it never heard from is silent. */
  knowsSilence(ttlMs: number): boolean {
    return this.now() - this.since >= ttlMs;
  }

  /**
   * Called as a presence check begins, `intervalMs` after the previous one ended (`checkEnded`). One
   * more than `stallMs` late means the api itself stood still (a blocked event loop, a stopped
   * process): the heartbeats of that time are not read yet, and the silence it would see is its
   * own. It then listens anew, judging silence only after another TTL, and returns false.
   */
  checkBegins(intervalMs: number, stallMs: number): boolean {
    const late = this.now() - this.lastCheckEnd - intervalMs;
    if (late <= stallMs) return true;
    this.since = this.now();
    return false;
  }

  /**
   * Called once a round trip to the NATS server came back (a flush: its answer comes after every
   * heartbeat the server held for this api, so those are read), `roundTripMs` after it was sent
   * (Infinity: not back in time). One longer than `stallMs` means heartbeats waited to be read — a
   * burst of other messages ahead of them in the server's or this api's buffers — while the event
   * loop kept turning: the silence it would see may be that wait. It then listens anew, as after a
   * stall, and returns false.
   */
  heardUpToDate(roundTripMs: number, stallMs: number): boolean {
    if (roundTripMs <= stallMs) return true;
    this.since = this.now();
    return false;
  }

  checkEnded(): void {
    this.lastCheckEnd = this.now();
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }
}
