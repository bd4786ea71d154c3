import pino from "pino";
import { describe, expect, it } from "vitest";
import { startLoop } from "./loop";

const log = pino({ level: "silent" });

describe("startLoop", () => {
  it("runs on wake without waiting for the interval, never overlapping runs", async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    let release!: () => void;
    const loop = startLoop(
      "test",
      60_000,
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        running--;
        runs++;
      },
      log,
    );
    loop.wake();
    loop.wake();
    loop.wake();
    await expect.poll(() => running).toBe(1);
    release();
    // the wakes during the first run coalesce into exactly one more run
    await expect.poll(() => runs === 1 && running === 1).toBe(true);
    release();
    await expect.poll(() => runs).toBe(2);
    expect(maxRunning).toBe(1);
    await loop.stop();
  });

  it("runs at most once per gap however often it is woken, and always runs after the last wake", async () => {
    const starts: number[] = [];
    const loop = startLoop(
      "test",
      60_000,
      async () => {
        starts.push(Date.now());
      },
      log,
      200,
    );
    const until = Date.now() + 1_000;
    while (Date.now() < until) {
      loop.wake();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const lastWake = Date.now();
    await expect.poll(() => starts.at(-1) ?? 0).toBeGreaterThanOrEqual(lastWake - 20);
    expect(starts.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < starts.length; i++)
      expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(195);
    await loop.stop();
  });

  it("with a gap, rests after a run as long as the run took before a woken run starts", async () => {
    const runs: { start: number; end: number }[] = [];
    const loop = startLoop(
      "slow",
      60_000,
      async () => {
        const start = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 150));
        runs.push({ start, end: Date.now() });
      },
      log,
      20,
    );
    let waking = true;
    const waker = (async () => {
      while (waking) {
        loop.wake();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await expect.poll(() => runs.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
    waking = false;
    await waker;
    await loop.stop();
    for (let i = 1; i < runs.length; i++) {
      const previous = runs[i - 1] as { start: number; end: number };
      // timers may fire a millisecond early
      expect((runs[i] as { start: number }).start).toBeGreaterThanOrEqual(
        previous.end + (previous.end - previous.start) - 2,
      );
    }
  });

  it("a hurried run waits for the gap only, not the rest after a long run", async () => {
    let release!: () => void;
    const starts: number[] = [];
    const runs: { start: number; end: number }[] = [];
    const loop = startLoop(
      "hurried",
      60_000,
      async () => {
        const start = Date.now();
        starts.push(start);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        runs.push({ start, end: Date.now() });
      },
      log,
      20,
    );
    loop.wake();
    await expect.poll(() => release !== undefined).toBe(true);
    // a long first run: a woken run would rest 3 s after it
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    loop.wake();
    loop.hurry();
    const first = release;
    first();
    await expect.poll(() => starts.length, { timeout: 30_000 }).toBe(2);
    const secondStart = starts[1] as number;
    release();
    await loop.stop();
    const [run] = runs as [{ start: number; end: number }];
    expect(run.end - run.start).toBeGreaterThanOrEqual(2_990);
    expect(secondStart - run.end).toBeLessThan(2_500);
  });

  it("keeps looping after a failing run", async () => {
    let calls = 0;
    const loop = startLoop(
      "failing",
      5,
      async () => {
        calls++;
        throw new Error("boom");
      },
      log,
    );
    await expect.poll(() => calls).toBeGreaterThanOrEqual(3);
    await loop.stop();
  });
});
