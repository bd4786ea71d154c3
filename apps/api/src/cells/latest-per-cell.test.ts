import { describe, expect, it } from "vitest";
import { LatestPerCell } from "./latest-per-cell";

/** A handler whose calls finish when the test says. */
function controlled() {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const handle = (message: string) =>
    new Promise<void>((resolve) => {
      started.push(message);
      finishers.set(message, resolve);
    });
  const finish = async (message: string) => {
    finishers.get(message)?.();
    // the handler's settlement and the next pump run on microtasks
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { started, handle, finish };
}

describe("LatestPerCell", () => {
  it("handles at most `concurrency` cells at once, each cell's messages in order, the newest waiting one only", async () => {
    const { started, handle, finish } = controlled();
    const superseded: string[] = [];
    const queue = new LatestPerCell(handle, 2, (m) => superseded.push(m));
    queue.offer("a", "a1");
    queue.offer("b", "b1");
    queue.offer("c", "c1");
    expect(started).toEqual(["a1", "b1"]);
    // a's next beats wait behind a1; the newer replaces the older, keeping a's place after c
    queue.offer("a", "a2");
    queue.offer("a", "a3");
    expect(superseded).toEqual(["a2"]);
    expect(queue.size).toEqual({ waiting: 2, handling: 2 });
    await finish("a1");
    expect(started).toEqual(["a1", "b1", "c1"]);
    await finish("b1");
    expect(started).toEqual(["a1", "b1", "c1", "a3"]);
    const idle = queue.idle();
    await finish("c1");
    await finish("a3");
    await idle;
    expect(queue.size).toEqual({ waiting: 0, handling: 0 });
  });

  it("goes on after a handler fails", async () => {
    const seen: string[] = [];
    const queue = new LatestPerCell<string>(async (m) => {
      seen.push(m);
      if (m === "a1") throw new Error("no");
    }, 1);
    queue.offer("a", "a1");
    queue.offer("a", "a2");
    await queue.idle();
    expect(seen).toEqual(["a1", "a2"]);
  });
});
