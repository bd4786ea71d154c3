import { describe, expect, it } from "vitest";
import { KeyedDispatch } from "./bounded";

/** A promise and the function that resolves it. */
function latch(): [Promise<void>, () => void] {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return [promise, open];
}

describe("KeyedDispatch", () => {
  it("runs at most the limit at once, skips a key already queued or running, and says when idle", async () => {
    let inFlight = 0;
    let most = 0;
    const ran: string[] = [];
    let idle = 0;
    const dispatch = new KeyedDispatch(3, { mark: 1, notify: () => idle++ });
    const task = (key: string) => async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      ran.push(key);
      inFlight--;
    };
    for (let i = 0; i < 10; i++) expect(dispatch.add(`k${i}`, task(`k${i}`))).toBe(true);
    expect(dispatch.add("k9", task("again"))).toBe(false);
    // a queued task can be dropped; a running one cannot
    expect(dispatch.cancel("k8")).toBe(true);
    expect(dispatch.cancel("k0")).toBe(false);
    expect(dispatch.add("k8", task("k8"))).toBe(true);
    expect(dispatch.size).toBe(10);
    await dispatch.stop();
    // stop drops what was queued and waits for what ran
    expect(most).toBeLessThanOrEqual(3);
    expect(ran).toEqual(["k0", "k1", "k2"]);
    expect(dispatch.size).toBe(0);
    expect(idle).toBe(1);
    expect(dispatch.add("k9", task("k9"))).toBe(true);
    await dispatch.stop();
    expect(ran).toContain("k9");
  });

  it("goes on after a failing task", async () => {
    let idle!: () => void;
    const settled = new Promise<void>((resolve) => {
      idle = resolve;
    });
    const dispatch = new KeyedDispatch(1, { mark: 1, notify: () => idle() });
    let ran = false;
    dispatch.add("bad", async () => {
      throw new Error("boom");
    });
    dispatch.add("good", async () => {
      ran = true;
    });
    await settled;
    expect(ran).toBe(true);
    expect(dispatch.size).toBe(0);
  });

  it("says once each time its tasks fall below the low-water mark", async () => {
    const below: number[] = [];
    const [gate, release] = latch();
    const dispatch = new KeyedDispatch(2, { mark: 4, notify: () => below.push(dispatch.size) });
    for (let i = 0; i < 6; i++) dispatch.add(`k${i}`, () => gate);
    // cancelling queued tasks counts too
    dispatch.cancel("k5");
    dispatch.cancel("k4");
    expect(below).toEqual([]);
    dispatch.cancel("k3");
    expect(below).toEqual([3]);
    // not again while it stays below, until it has been filled to the mark once more
    release();
    await dispatch.stop();
    expect(below).toEqual([3]);
    for (let i = 0; i < 4; i++) dispatch.add(`again${i}`, async () => {});
    await dispatch.stop();
    expect(below).toHaveLength(2);
  });

  it("runs a group as one task with the values of the keys still wanted, counting each key", async () => {
    const [gate, release] = latch();
    const [empty, emptied] = latch();
    const ran: string[][] = [];
    const dispatch = new KeyedDispatch(1, { mark: 1, notify: () => emptied() });
    dispatch.add("first", () => gate);
    const group = async (values: string[]) => {
      ran.push(values);
    };
    const items = (...keys: string[]) => keys.map((key) => [key, key.toUpperCase()] as const);
    // a key already queued is not added again; the rest go in one task
    expect(dispatch.addGroup(items("a", "b", "first", "c"), group)).toBe(3);
    expect(dispatch.addGroup(items("c", "d"), group)).toBe(1);
    expect(dispatch.addGroup(items("a"), group)).toBe(0);
    expect(dispatch.size).toBe(5);
    // a cancelled key leaves its group; a group left with none is dropped
    expect(dispatch.cancel("b")).toBe(true);
    expect(dispatch.cancel("d")).toBe(true);
    expect(dispatch.size).toBe(3);
    release();
    await empty;
    expect(ran).toEqual([["A", "C"]]);
    expect(dispatch.size).toBe(0);
  });

  it("gathers later keys of a label into its queued task, up to its max, while it waits", async () => {
    const [gate, release] = latch();
    const [empty, emptied] = latch();
    const ran: string[][] = [];
    const dispatch = new KeyedDispatch(1, { mark: 1, notify: () => emptied() });
    dispatch.add("busy", () => gate);
    const batch = async (values: string[]) => {
      ran.push(values);
    };
    const items = (...keys: string[]) => keys.map((key) => [key, key] as const);
    const cell = (name: string) => ({ label: name, max: 3 });
    expect(dispatch.addGroup(items("a1", "a2"), batch, cell("a"))).toBe(2);
    expect(dispatch.addGroup(items("b1"), batch, cell("b"))).toBe(1);
    // joins a's queued task (2 + 1 = its max), the rest start a new one
    expect(dispatch.addGroup(items("a3", "a4", "a5"), batch, cell("a"))).toBe(3);
    expect(dispatch.addGroup(items("b2"), batch, cell("b"))).toBe(1);
    release();
    await empty;
    expect(ran).toEqual([
      ["a1", "a2", "a3"],
      ["b1", "b2"],
      ["a4", "a5"],
    ]);
    // a task that ran takes no more: a later key goes in a new one
    expect(dispatch.addGroup(items("a6"), batch, cell("a"))).toBe(1);
    await dispatch.stop();
    expect(ran.at(-1)).toEqual(["a6"]);
  });
});
