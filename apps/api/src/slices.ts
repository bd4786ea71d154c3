import { setImmediate as immediate } from "node:timers/promises";

/**
 * How long one synchronous stretch of a long loop may hold the event loop. The api is also the
 * leader: a request waits behind whatever runs, once for each of its awaits, so a loop over
 * 100,000 instances or 1,000 cells done in one go delays every request by all of it.
 */
export const SLICE_MS = 5;

/**
 * Cuts a long loop into slices of about `sliceMs`: `if (slices.due()) await slices.next();` at
 * the top of each iteration gives the event loop back (`setImmediate`, after pending I/O) once a
 * slice has used its time. `due` only reads the clock, so it is cheap to ask every iteration.
 */
export class EventLoopSlices {
  private started = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** Whether this slice has used its time. */
  due(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Gives the event loop back, then starts a new slice. */
  async next(): Promise<void> {
    await immediate();
    this.started = performance.now();
  }
}
