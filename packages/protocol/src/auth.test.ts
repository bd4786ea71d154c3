import { describe, expect, it } from "vitest";
import {
  authenticateCellMessage,
  decode,
  encode,
  generateCellCredential,
  hashCellCredential,
  RegisterCellReply,
} from "./index";

describe("cell credentials", () => {
  const credential = generateCellCredential();
  const stored = hashCellCredential(credential);

  it("a generated credential is accepted by the register reply schema and unique", () => {
    const reply = { v: 1 as const, ok: true as const, cellId: "c1", credential, jwt: "e.y.j" };
    expect(decode(RegisterCellReply, encode(RegisterCellReply, reply)).ok).toBe(true);
    expect(generateCellCredential()).not.toBe(credential);
  });

  it("only the hash is needed to verify, and the hash is not the credential", () => {
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(credential);
    expect(authenticateCellMessage({ cellId: "c1", credential }, stored, "c1")).toEqual({
      ok: true,
      cellId: "c1",
    });
  });

  it("a wrong credential is refused", () => {
    const other = generateCellCredential();
    expect(authenticateCellMessage({ cellId: "c1", credential: other }, stored)).toEqual({
      ok: false,
      reason: "bad-credential",
    });
  });

  it("a cell publishing on another cell's subject is refused even with its own valid credential", () => {
    expect(authenticateCellMessage({ cellId: "c1", credential }, stored, "c2")).toEqual({
      ok: false,
      reason: "subject-mismatch",
    });
  });

  it("an unknown cell is refused", () => {
    expect(authenticateCellMessage({ cellId: "c9", credential }, undefined)).toEqual({
      ok: false,
      reason: "unknown-cell",
    });
  });

  it("a malformed stored hash is refused rather than thrown on", () => {
    expect(authenticateCellMessage({ cellId: "c1", credential }, "zz")).toEqual({
      ok: false,
      reason: "bad-credential",
    });
  });
});
