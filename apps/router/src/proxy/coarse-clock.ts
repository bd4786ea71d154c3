/**
 * performance.now() as of the proxy's last sweep (every 250 ms): what idle and stall timeouts read,
 * so the hot path does not ask the OS for the time on every request and response.
 */
export interface CoarseClock {
  now: number;
}
