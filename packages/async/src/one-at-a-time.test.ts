import { describe, expect, it } from "vitest";
import { OneAtATime } from "./one-at-a-time";

/** a promise the test settles */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("OneAtATime", () => {
  it("runs one at a time, and requests during a run make exactly one more run after it", async () => {
    const gates = [gate(), gate()];
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    const runs = new OneAtATime(async () => {
      const n = started.length;
      started.push(n);
      inFlight++;
      most = Math.max(most, inFlight);
      await gates[n]?.opened;
      inFlight--;
    });
    runs.request();
    runs.request();
    runs.request();
    expect(started).toEqual([0]);
    gates[0]?.open();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toEqual([0, 1]);
    gates[1]?.open();
    await runs.stop();
    expect(started).toEqual([0, 1]);
    expect(most).toBe(1);
  });

  it("goes on after a failed run, and runs nothing once stopped", async () => {
    let calls = 0;
    const runs = new OneAtATime(async () => {
      calls++;
      throw new Error("down");
    });
    runs.request();
    await runs.stop();
    expect(calls).toBe(1);
    runs.request();
    await runs.stop();
    expect(calls).toBe(1);
    const third = gate();
    const again = new OneAtATime(async () => {
      calls++;
      if (calls === 2) throw new Error("down");
      third.open();
    });
    again.request();
    again.request();
    await third.opened;
    await again.stop();
    expect(calls).toBe(3);
  });
});
