import { describe, expect, it } from "vitest";
import { CellLiveness } from "./liveness";

/** A presence loop's checks every second (interval 1 s, stalls over 5 s, TTL 15 s) on a fake clock. */
function presence() {
  const clock = { now: 1_000_000 };
  const liveness = new CellLiveness(() => clock.now);
  /** Waits `ms`, then checks: whether silence would be judged. */
  const checkAfter = (ms: number, takesMs = 0) => {
    clock.now += ms;
    const judged = liveness.checkBegins(1_000, 5_000) && liveness.knowsSilence(15_000);
    clock.now += takesMs;
    liveness.checkEnded();
    return judged;
  };
  const checksFor = (seconds: number) => Array.from({ length: seconds }, () => checkAfter(1_000));
  return { liveness, checkAfter, checksFor };
}

describe("CellLiveness", () => {
  it("judges silence only after a TTL of listening, and again after the api stood still", () => {
    const { liveness, checkAfter, checksFor } = presence();
    liveness.seen("c1");
    expect(checksFor(14)).not.toContain(true);
    expect(checkAfter(1_000)).toBe(true);
    // the event loop blocked for 20 s: c1's heartbeats of that time are still unread
    expect(checkAfter(20_000)).toBe(false);
    expect(liveness.alive(15_000)).toEqual([]);
    expect(checksFor(14)).not.toContain(true);
    expect(checkAfter(1_000)).toBe(true);
  });

  it("counts a slow check as busy and a few seconds late as on time", () => {
    const { checkAfter, checksFor } = presence();
    checksFor(15);
    expect(checkAfter(1_000, 8_000)).toBe(true); // its own query took 8 s
    expect(checkAfter(1_000)).toBe(true);
    expect(checkAfter(6_000)).toBe(true); // 5 s late: within a third of the TTL
    expect(checkAfter(6_001)).toBe(false);
  });

  it("counts heartbeats that waited behind other messages as standing still", () => {
    const { liveness, checkAfter, checksFor } = presence();
    liveness.seen("c1");
    checksFor(15);
    expect(liveness.heardUpToDate(120, 5_000)).toBe(true);
    // the flush before judging came back 8 s after it went: beats were queued unread meanwhile
    expect(liveness.heardUpToDate(8_000, 5_000)).toBe(false);
    expect(checksFor(14)).not.toContain(true);
    expect(checkAfter(1_000)).toBe(true);
    // not back at all within the limit
    expect(liveness.heardUpToDate(Number.POSITIVE_INFINITY, 5_000)).toBe(false);
    expect(checkAfter(1_000)).toBe(false);
  });
});
