import { describe, expect, test } from "vitest";
import { UsageError } from "./errors";
import { formatPortRange, parsePortRange } from "./port-range";

describe("--port", () => {
  test("takes a port or a range and prints them back the same way", () => {
    expect(parsePortRange("8080")).toEqual({ port: 8080 });
    expect(parsePortRange("8080-8090")).toEqual({ port: 8080, end_port: 8090 });
    expect(parsePortRange("53-53")).toEqual({ port: 53 });
    expect(formatPortRange({ start: 8080, end: 8090 })).toBe("8080-8090");
    expect(formatPortRange({ start: 53, end: 53 })).toBe("53");
  });
  test("refuses what is not a port range", () => {
    for (const bad of ["", "0", "65536", "90-80", "80-", "http", "1-2-3", "-5"]) {
      expect(() => parsePortRange(bad)).toThrow(UsageError);
    }
  });
});
