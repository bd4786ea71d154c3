import { describe, expect, it } from "vitest";
import { EventLoopSlices } from "./slices";

describe("EventLoopSlices", () => {
  it("lets timers and I/O run between the slices of a long loop", async () => {
    const slices = new EventLoopSlices(2);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const until = performance.now() + 60;
    let iterations = 0;
    while (performance.now() < until) {
      if (slices.due()) await slices.next();
      iterations++;
    }
    clearInterval(ticker);
    // a loop that never gave the event loop back would have let no tick run
    expect(ticks).toBeGreaterThan(5);
    expect(iterations).toBeGreaterThan(0);
  });

  it("is not due before its slice has used its time", () => {
    const slices = new EventLoopSlices(60_000);
    expect(slices.due()).toBe(false);
  });
});
