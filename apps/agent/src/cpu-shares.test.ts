import { describe, expect, it } from "vitest";
import { cpuSharesFor } from "./cpu-shares";

describe("cpuSharesFor", () => {
  it("gives instances CPU weight in proportion to their memory", () => {
    expect(cpuSharesFor(256)).toBe(256);
    expect(cpuSharesFor(1024)).toBe(1024);
    expect(cpuSharesFor(512) / cpuSharesFor(128)).toBe(4);
  });

  it("keeps a floor for tiny instances and a cap for huge ones", () => {
    expect(cpuSharesFor(1)).toBe(64);
    expect(cpuSharesFor(64)).toBe(64);
    expect(cpuSharesFor(65_536)).toBe(8192);
  });
});
