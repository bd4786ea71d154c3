import { describe, expect, it } from "vitest";
import { windowStart } from "./window-start";

/** A stream of sequences 1..last where `matches` are the app's; counts what `windowStart` asked. */
function stream(matches: number[]) {
  let probes = 0;
  return {
    count: async (seq: number) => {
      probes += 1;
      return matches.filter((m) => m >= seq).length;
    },
    probes: () => probes,
  };
}

describe("windowStart", () => {
  it("finds where the last lines begin in a stream where the app is one message in a hundred", async () => {
    const matches = Array.from({ length: 1000 }, (_, i) => 1 + i * 100);
    const s = stream(matches);
    const start = await windowStart(s.count, 1, 100_001, 10);
    expect(matches.filter((m) => m >= start)).toEqual(matches.slice(-10));
    expect(s.probes()).toBeLessThan(40);
  });

  it("starts at the first sequence when fewer lines are stored than wanted", async () => {
    const s = stream([5, 9]);
    expect(await windowStart(s.count, 3, 20, 10)).toBe(3);
  });

  it("does not search for an app with no lines in a long stream", async () => {
    const s = stream([]);
    expect(await windowStart(s.count, 1, 1_000_000, 10)).toBe(1);
    expect(s.probes()).toBe(2);
  });

  it("counts only lines before the end", async () => {
    const s = stream([1, 2, 3, 4, 5, 6, 7, 8]);
    const start = await windowStart(s.count, 1, 6, 2);
    expect(start).toBe(4);
  });
});
