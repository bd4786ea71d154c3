import { describe, expect, it } from "vitest";
import { Slots } from "./slots";

describe("Slots", () => {
  it("runs at most `size` tasks at once, the rest in arrival order, and frees a slot when a task fails", async () => {
    const slots = new Slots(2);
    let now = 0;
    let most = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const task = (n: number) =>
      slots.run(async () => {
        now += 1;
        most = Math.max(most, now);
        order.push(n);
        await new Promise<void>((resolve) => releases.push(resolve));
        now -= 1;
        if (n === 1) throw new Error("failed");
      });
    const runs = [1, 2, 3, 4].map(task);
    await expect.poll(() => releases.length).toBe(2);
    expect(slots.waiting).toBe(2);
    releases[0]?.();
    await expect(runs[0]).rejects.toThrow("failed");
    await expect.poll(() => releases.length).toBe(3);
    for (const release of releases.slice(1)) release();
    await expect.poll(() => releases.length).toBe(4);
    releases[3]?.();
    await Promise.all(runs.slice(1));
    expect(order).toEqual([1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(slots.waiting).toBe(0);
  });
});
