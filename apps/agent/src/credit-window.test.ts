import { describe, expect, it } from "vitest";
import { CreditWindow, WindowClosed } from "./credit-window";

describe("CreditWindow", () => {
  it("gives no more than the credit, then waits for a grant", async () => {
    const window = new CreditWindow(10);
    expect(await window.take(8)).toBe(8);
    expect(await window.take(8)).toBe(2);
    let taken: number | undefined;
    const waiting = window.take(8).then((n) => {
      taken = n;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(taken).toBeUndefined();
    window.grant(5);
    await waiting;
    expect(taken).toBe(5);
  });

  it("fails a waiting sender once closed, or when no grant comes in time", async () => {
    const closed = new CreditWindow(0);
    const waiting = closed.take(1);
    closed.close("gone");
    await expect(waiting).rejects.toBeInstanceOf(WindowClosed);
    await expect(new CreditWindow(0, 20).take(1)).rejects.toThrow(/no credit granted/);
  });
});
