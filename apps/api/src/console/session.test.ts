import { describe, expect, it } from "vitest";
import { csrfMatches, csrfTokenFor } from "./session";

describe("console CSRF tokens", () => {
  it("match only the session they were made for", () => {
    const token = csrfTokenFor("grove_secret-a");
    expect(csrfMatches("grove_secret-a", token)).toBe(true);
    expect(csrfMatches("grove_secret-b", token)).toBe(false);
    expect(csrfMatches("grove_secret-a", `${token}x`)).toBe(false);
    expect(csrfMatches("grove_secret-a", undefined)).toBe(false);
    expect(token).not.toContain("secret");
  });
});
