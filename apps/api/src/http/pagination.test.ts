import { describe, expect, it } from "vitest";
import { Invalid } from "../errors";
import { decodeCursor, encodeCursor, paginate } from "./pagination";

describe("cursor pagination", () => {
  it("round-trips a sort key through an opaque cursor", () => {
    const cursor = encodeCursor(["web", 3]);
    expect(cursor).not.toContain("web");
    expect(decodeCursor(cursor, 2)).toEqual(["web", 3]);
  });

  it("rejects a cursor it did not issue, naming the cursor field", () => {
    for (const bad of ["%%%", encodeCursor(["a"]), Buffer.from("{}").toString("base64url")]) {
      try {
        decodeCursor(bad, 2);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(Invalid);
        expect((error as Invalid).issues[0]?.field).toBe("cursor");
      }
    }
  });

  it("returns a next cursor only when more rows exist", () => {
    const rows = [{ n: "a" }, { n: "b" }, { n: "c" }];
    expect(paginate(rows, 3, (r) => [r.n])).toEqual({ items: rows, next_cursor: null });
    const page = paginate(rows, 2, (r) => [r.n]);
    expect(page.items).toEqual(rows.slice(0, 2));
    expect(decodeCursor(page.next_cursor as string, 1)).toEqual(["b"]);
  });
});
