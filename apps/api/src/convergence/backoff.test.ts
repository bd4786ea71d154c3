import { describe, expect, it } from "vitest";
import { BACKOFF_CAP_MS, MAX_CRASHES, restartDelayMs } from "./backoff";

describe("restartDelayMs (Diego's crash backoff)", () => {
  it("restarts the first three crashes at once", () => {
    expect([1, 2, 3].map(restartDelayMs)).toEqual([0, 0, 0]);
  });
  it("then waits 30 s, doubling per crash, up to 16 minutes", () => {
    expect([4, 5, 6, 7, 8, 9, 10].map(restartDelayMs)).toEqual([
      30_000,
      60_000,
      120_000,
      240_000,
      480_000,
      960_000,
      BACKOFF_CAP_MS,
    ]);
    expect(restartDelayMs(150)).toBe(BACKOFF_CAP_MS);
  });
  it("gives up after 200 crashes", () => {
    expect(restartDelayMs(MAX_CRASHES - 1)).toBe(BACKOFF_CAP_MS);
    expect(restartDelayMs(MAX_CRASHES)).toBeUndefined();
  });
});
