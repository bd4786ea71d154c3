import { describe, expect, it } from "vitest";
import { cellOfSubject, InvalidSubjectToken, parseLogSubject, subjects } from "./index";

describe("subjects", () => {
  it("builds the cell-scoped subjects from the cell id", () => {
    expect(subjects.register).toBe("grove.v1.cells.register");
    expect(subjects.heartbeat("c1")).toBe("grove.v1.cells.c1.heartbeat");
    expect(subjects.stateSync("c1")).toBe("grove.v1.cells.c1.sync");
    expect(subjects.commands("c1")).toBe("grove.v1.cells.c1.commands");
    expect(subjects.instanceEvents("c1")).toBe("grove.v1.events.instances.c1");
    expect(subjects.logs("web", "i-3")).toBe("grove.v1.logs.web.i-3");
  });

  it.each(["", "a.b", "*", ">", "a b", "tab\t"])(
    "refuses %j as an id so a subject cannot be widened",
    (bad) => {
      expect(() => subjects.heartbeat(bad)).toThrow(InvalidSubjectToken);
      expect(() => subjects.logs(bad, "i")).toThrow(InvalidSubjectToken);
    },
  );

  it("recovers the cell id from cell-scoped subjects and nothing else", () => {
    expect(cellOfSubject(subjects.heartbeat("c1"))).toBe("c1");
    expect(cellOfSubject(subjects.commands("c-2"))).toBe("c-2");
    expect(cellOfSubject(subjects.instanceEvents("c3"))).toBe("c3");
    expect(cellOfSubject(subjects.register)).toBeUndefined();
    expect(cellOfSubject("grove.v1.cells.c1.other")).toBeUndefined();
  });

  it("recovers app and instance from a log subject", () => {
    expect(parseLogSubject(subjects.logs("web", "i-3"))).toEqual({ appId: "web", instanceId: "i-3" });
    expect(parseLogSubject("grove.v1.logs.web")).toBeUndefined();
  });
});
