import { describe, expect, it } from "vitest";
import { eventDetails, usageText } from "./apps";
import { freeOf } from "./cells";
import { portsText } from "./network";
import { bytesText, stateText } from "./volumes";

describe("console formatting", () => {
  it("shows an instance's usage when reported, and says so when not", () => {
    expect(usageText({ cpu_percent: 12.345, memory_bytes: 134_217_728 })).toEqual({
      cpu: "12.3%",
      memory: "128 MB",
    });
    expect(usageText(undefined)).toEqual({ cpu: "not reported", memory: "not reported" });
  });

  it("shows a cell's free resources against its capacity", () => {
    expect(freeOf(1024, 4096, " MB")).toBe("1,024 MB free of 4,096 MB");
    expect(freeOf(undefined, 100, "")).toBe("100 (free not reported)");
  });

  it("shows an event's data as key: value pairs", () => {
    expect(eventDetails({ revision: 2, from: "a" })).toBe("revision: 2, from: a");
  });

  it("shows sizes, port ranges and volume states as people read them", () => {
    expect([bytesText(7), bytesText(10_240), bytesText(3_670_016)]).toEqual(["7 bytes", "10 KB", "3.5 MB"]);
    expect([
      portsText({ start: 80, end: 80 }),
      portsText({ start: 8000, end: 8099 }),
      portsText(null),
    ]).toEqual(["port 80", "ports 8000–8099", "every port"]);
    expect(stateText({ state: "moving", cell: "c1" })).toMatch(/^moving… \(its cell c1 is draining/);
    expect(stateText({ state: "ready", cell: null })).toBe("ready");
  });
});
