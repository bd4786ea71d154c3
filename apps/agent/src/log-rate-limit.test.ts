import { describe, expect, it } from "vitest";
import { type LogRateClock, LogRateLimiter, logRateNotice } from "./log-rate-limit";

function fakeClock(start = 10_500) {
  let now = start;
  const timers: { at: number; run: () => void }[] = [];
  const clock: LogRateClock = {
    now: () => now,
    after(ms, run) {
      const timer = { at: now + ms, run };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    },
  };
  return {
    clock,
    advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.run();
      }
    },
    pending: () => timers.length,
  };
}

/** Lines out per second of the fake clock: app lines and notices together. */
function limited(limit: number) {
  const time = fakeClock();
  const out: { second: number; line: string }[] = [];
  const limiter = new LogRateLimiter(
    limit,
    (line) => out.push({ second: Math.floor(time.clock.now() / 1000), line }),
    time.clock,
  );
  const write = (line: string) => {
    if (limiter.admit()) out.push({ second: Math.floor(time.clock.now() / 1000), line });
  };
  const perSecond = () => {
    const counts = new Map<number, number>();
    for (const { second } of out) counts.set(second, (counts.get(second) ?? 0) + 1);
    return [...counts.values()];
  };
  return { time, out, limiter, write, perSecond };
}

describe("LogRateLimiter", () => {
  it("lets through the limit per second and drops and counts the rest", () => {
    const l = limited(5);
    for (let i = 0; i < 12; i++) l.write(`line ${i}`);
    expect(l.out.map((o) => o.line)).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
    expect(l.limiter.dropped).toBe(7);
  });

  it("says so once, in the next second, and never exceeds the limit in any second, notice included", () => {
    const l = limited(3);
    for (let second = 0; second < 4; second++) {
      for (let i = 0; i < 10; i++) l.write(`s${second} ${i}`);
      l.time.advance(1000);
    }
    expect(l.perSecond().every((n) => n <= 3)).toBe(true);
    const notices = l.out.filter((o) => o.line.startsWith("grove:"));
    // one per second that had drops; the last one goes out by timer after the app stopped
    expect(notices).toHaveLength(4);
    expect(notices[0]?.line).toBe(logRateNotice(3, 7));
    expect(notices[1]?.line).toBe(logRateNotice(3, 8));
    expect(l.limiter.dropped).toBe(7 + 8 + 8 + 8);
  });

  it("reports a burst even when the instance falls silent after it", () => {
    const l = limited(2);
    for (let i = 0; i < 5; i++) l.write(`x${i}`);
    expect(l.out).toHaveLength(2);
    l.time.advance(1000);
    expect(l.out.at(-1)?.line).toBe(logRateNotice(2, 3));
    expect(l.time.pending()).toBe(0);
  });

  it("stays quiet when the instance stays under its limit, and close() cancels a pending notice", () => {
    const l = limited(10);
    for (let i = 0; i < 10; i++) l.write("ok");
    l.time.advance(1000);
    for (let i = 0; i < 10; i++) l.write("ok");
    expect(l.out.every((o) => o.line === "ok")).toBe(true);
    l.write("over");
    expect(l.time.pending()).toBe(1);
    l.limiter.close();
    expect(l.time.pending()).toBe(0);
  });

  it("with a limit of 0 lets nothing through, not even the notice", () => {
    const l = limited(0);
    for (let i = 0; i < 5; i++) l.write("x");
    l.time.advance(3000);
    expect(l.out).toEqual([]);
    expect(l.limiter.dropped).toBe(5);
    expect(l.time.pending()).toBe(0);
  });
});
