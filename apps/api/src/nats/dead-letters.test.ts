import { describe, expect, it } from "vitest";
import { isTransient } from "./dead-letters";

const coded = (code: string) => Object.assign(new Error(code), { code });

describe("isTransient", () => {
  it("takes an unreachable or restarting database for transient, through wrapping errors", () => {
    expect(isTransient(coded("ECONNREFUSED"))).toBe(true);
    expect(isTransient(coded("CONNECTION_CLOSED"))).toBe(true);
    expect(isTransient(coded("57P01"))).toBe(true); // admin shutdown
    expect(isTransient(new Error("query failed", { cause: coded("08006") }))).toBe(true);
  });

  it("blames the message for data errors and anything without a code", () => {
    expect(isTransient(coded("22P02"))).toBe(false); // invalid input syntax for type uuid
    expect(isTransient(coded("23505"))).toBe(false);
    expect(isTransient(new Error("boom"))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});
