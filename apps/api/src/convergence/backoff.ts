/** Crashes restarted at once before the backoff starts (Diego). */
export const IMMEDIATE_RESTARTS = 3;
/** First backoff delay, doubled per further crash. */
export const BACKOFF_BASE_MS = 30_000;
/** Longest backoff delay. */
export const BACKOFF_CAP_MS = 16 * 60_000;
/** After this many crashes an instance is left crashed. */
export const MAX_CRASHES = 200;
/** Running this long without crashing resets the crash count. */
export const HEALTHY_RESET_MS = 5 * 60_000;

/**
 * How long after its latest crash an instance with `crashCount` crashes is restarted, or
 * undefined when it has crashed too often to be restarted at all.
 *
 * @example
 * restartDelayMs(3) // 0
 * restartDelayMs(4) // 30_000
 * restartDelayMs(6) // 120_000
 */
export function restartDelayMs(crashCount: number): number | undefined {
  if (crashCount >= MAX_CRASHES) return undefined;
  if (crashCount <= IMMEDIATE_RESTARTS) return 0;
  const doublings = crashCount - IMMEDIATE_RESTARTS - 1;
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(doublings, 20));
}
