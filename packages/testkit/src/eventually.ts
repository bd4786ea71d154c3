/**
 * Polls `check` until it returns something other than undefined or false, and returns that; fails
 * after `timeoutMs` naming `what`. The way tests wait for a condition instead of sleeping.
 *
 * @example
 * const running = await eventually(async () => (await list()).length === 3 || undefined, 30_000, "3 running");
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
