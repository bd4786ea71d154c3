import { describe, expect, it } from "vitest";
import { PreconditionFailed } from "../errors";
import { checkIfMatch, etagOf } from "./etag";

describe("If-Match", () => {
  const current = etagOf("a1", 3);
  it("passes when absent, a wildcard or listing the current tag", () => {
    for (const header of [undefined, "*", current, `"a1.1", ${current}`]) {
      expect(() => checkIfMatch(header, current)).not.toThrow();
    }
  });
  it("fails with PreconditionFailed for a stale tag", () => {
    expect(() => checkIfMatch(etagOf("a1", 2), current)).toThrow(PreconditionFailed);
  });
});
