import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PushPacing } from "./push-pacing";

describe("PushPacing", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A push that takes `ms` of (fake) time. */
  const taking = (ms: number, log: string[], name: string) => async () => {
    log.push(`${name} starts`);
    await vi.advanceTimersByTimeAsync(ms);
    return name;
  };

  it("starts a push ratio × the last one's duration after it ended, at most maxGapMs later", async () => {
    const pacing = new PushPacing(2, 1_000);
    const log: string[] = [];
    expect(await pacing.run(taking(300, log, "first"), "none")).toBe("first");
    expect(pacing.gapMs()).toBe(600);
    const second = pacing.run(taking(5_000, log, "second"), "none");
    await vi.advanceTimersByTimeAsync(599);
    expect(log).toEqual(["first starts"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await second).toBe("second");
    // a push of 5 s asks for 10 s, capped at 1 s
    expect(pacing.gapMs()).toBe(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pacing.gapMs()).toBe(0);
  });

  it("counts a push up to the moment it says its commands are made, not its wait for the answers", async () => {
    const pacing = new PushPacing(2, 10_000);
    await pacing.run(async (made) => {
      await vi.advanceTimersByTimeAsync(100);
      made();
      // the cells take 3 s to answer
      await vi.advanceTimersByTimeAsync(3_000);
    }, undefined);
    // 2 × 100 ms after the commands were made, which is long past
    expect(pacing.gapMs()).toBe(0);
  });

  it("stopped, ends the wait under way and pushes nothing", async () => {
    const pacing = new PushPacing(2, 10_000);
    const log: string[] = [];
    await pacing.run(taking(1_000, log, "first"), "none");
    const waiting = pacing.run(taking(10, log, "second"), "none");
    pacing.stop();
    expect(await waiting).toBe("none");
    expect(await pacing.run(taking(10, log, "third"), "none")).toBe("none");
    expect(log).toEqual(["first starts"]);
  });
});
