import { describe, expect, it } from "vitest";
import { FreshLoad } from "./fresh-load";

describe("FreshLoad", () => {
  it("answers callers who ask during a load with the next load, shared", async () => {
    let loads = 0;
    const releases: (() => void)[] = [];
    const fresh = new FreshLoad(
      () =>
        new Promise<number>((resolve) => {
          const n = ++loads;
          releases.push(() => resolve(n));
        }),
    );
    const first = fresh.get();
    const second = fresh.get();
    const third = fresh.get();
    expect(loads).toBe(1);
    releases[0]?.();
    expect(await first).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads).toBe(2);
    releases[1]?.();
    expect([await second, await third]).toEqual([2, 2]);
    const fourth = fresh.get();
    expect(loads).toBe(3);
    releases[2]?.();
    expect(await fourth).toBe(3);
  });

  it("starts afresh after a failed load", async () => {
    let calls = 0;
    const fresh = new FreshLoad(async () => {
      calls += 1;
      if (calls === 1) throw new Error("down");
      return calls;
    });
    await expect(fresh.get()).rejects.toThrow("down");
    expect(await fresh.get()).toBe(2);
  });
});
