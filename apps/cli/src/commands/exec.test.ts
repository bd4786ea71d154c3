import { describe, expect, it } from "vitest";
import { UsageError } from "../errors";
import { parseSignal } from "./exec";

describe("grove exec --signal", () => {
  it.each([
    ["INT", "interrupt"],
    ["SIGINT", "interrupt"],
    ["term", "terminate"],
    ["SIGTERM", "terminate"],
    ["KILL", "kill"],
  ] as const)("reads %s as %s", (text, signal) => {
    expect(parseSignal(text)).toBe(signal);
  });

  it("refuses signals garden cannot deliver", () => {
    expect(() => parseSignal("HUP")).toThrow(UsageError);
  });
});
