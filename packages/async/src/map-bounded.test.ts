import { describe, expect, it } from "vitest";
import { mapBounded } from "./map-bounded";

describe("mapBounded", () => {
  it("never has more than the limit in flight and keeps the items' order", async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapBounded(
      Array.from({ length: 50 }, (_, i) => i),
      4,
      async (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, i % 3));
        inFlight--;
        return i * 2;
      },
    );
    expect(most).toBe(4);
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
  });

  it("returns nothing for no items", async () => {
    expect(await mapBounded([], 8, async () => 1)).toEqual([]);
  });
});
