import { describe, expect, it } from "vitest";
import {
  cellOfSubject,
  cellSender,
  InvalidSubjectToken,
  parseLegacyLogSubject,
  parseLogSubject,
  subjects,
} from "./index";

describe("subjects", () => {
  it("builds the cell-scoped subjects from the cell id", () => {
    expect(subjects.register).toBe("grove.v1.cells.register");
    expect(subjects.heartbeat("c1")).toBe("grove.v1.cells.c1.heartbeat");
    expect(subjects.stateSync("c1")).toBe("grove.v1.cells.c1.sync");
    expect(subjects.commands("c1")).toBe("grove.v1.cells.c1.commands");
    expect(subjects.instanceEvents("c1")).toBe("grove.v1.events.instances.c1");
    expect(subjects.logs("c1", "t1", "web", "i-3")).toBe("grove.v1.logs.t1.web.c1.i-3");
    expect(subjects.cellLogs("c1")).toBe("grove.v1.logs.*.*.c1.*");
    expect(subjects.appLogs("t1", "web")).toBe("grove.v1.logs.t1.web.*.*");
    expect(subjects.tenantLogs("t1")).toBe("grove.v1.logs.t1.*.*.*");
    expect(subjects.legacyLogs("c1", "web", "i-3")).toBe("grove.v1.logs.web.c1.i-3");
    expect(subjects.legacyCellLogs("c1")).toBe("grove.v1.logs.*.c1.*");
    expect(subjects.allLegacyLogs).toBe("grove.v1.logs.*.*.*");
  });

  it.each(["", "a.b", "*", ">", "a b", "tab\t"])(
    "refuses %j as an id so a subject cannot be widened",
    (bad) => {
      expect(() => subjects.heartbeat(bad)).toThrow(InvalidSubjectToken);
      expect(() => subjects.logs(bad, "t1", "web", "i")).toThrow(InvalidSubjectToken);
      expect(() => subjects.logs("c1", bad, "web", "i")).toThrow(InvalidSubjectToken);
      expect(() => subjects.logs("c1", "t1", bad, "i")).toThrow(InvalidSubjectToken);
      expect(() => subjects.logs("c1", "t1", "web", bad)).toThrow(InvalidSubjectToken);
      expect(() => subjects.appLogs(bad, "web")).toThrow(InvalidSubjectToken);
      expect(() => subjects.appLogs("t1", bad)).toThrow(InvalidSubjectToken);
      expect(() => subjects.tenantLogs(bad)).toThrow(InvalidSubjectToken);
      expect(() => subjects.cellLogs(bad)).toThrow(InvalidSubjectToken);
      expect(() => subjects.execControl(bad, "e1")).toThrow(InvalidSubjectToken);
      expect(() => subjects.execOutput("c1", bad, "a1")).toThrow(InvalidSubjectToken);
    },
  );

  it("recovers the cell id from cell-scoped subjects and nothing else", () => {
    expect(cellOfSubject(subjects.heartbeat("c1"))).toBe("c1");
    expect(cellOfSubject(subjects.commands("c-2"))).toBe("c-2");
    expect(cellOfSubject(subjects.instanceEvents("c3"))).toBe("c3");
    expect(cellOfSubject(subjects.logs("c4", "t1", "web", "i-1"))).toBe("c4");
    expect(cellOfSubject(subjects.legacyLogs("c4", "web", "i-1"))).toBe("c4");
    expect(cellOfSubject(subjects.exec("c5"))).toBe("c5");
    expect(cellOfSubject(subjects.execControl("c6", "e1"))).toBe("c6");
    expect(cellOfSubject(subjects.execOutput("c7", "e1", "a1"))).toBe("c7");
    expect(cellOfSubject("grove.v1.logs.web.c1")).toBeUndefined();
    expect(cellOfSubject("grove.v1.cells.c1.exec.e1.out")).toBeUndefined();
    expect(cellOfSubject(subjects.register)).toBeUndefined();
    expect(cellOfSubject("grove.v1.cells.c1.other")).toBeUndefined();
  });

  it("recovers the publishing cell, app and instance from a log subject", () => {
    expect(parseLogSubject(subjects.logs("c1", "t1", "web", "i-3"))).toEqual({
      tenantId: "t1",
      cellId: "c1",
      appId: "web",
      instanceId: "i-3",
    });
    expect(parseLogSubject("grove.v1.logs.web.i-3")).toBeUndefined();
    expect(parseLogSubject("grove.v1.logs.web.c1")).toBeUndefined();
    expect(parseLogSubject("grove.v1.logs.t1.web.c1.i-3.extra")).toBeUndefined();
    expect(parseLogSubject(subjects.legacyLogs("c1", "web", "i-3"))).toBeUndefined();
    expect(parseLegacyLogSubject(subjects.legacyLogs("c1", "web", "i-3"))).toEqual({
      cellId: "c1",
      appId: "web",
      instanceId: "i-3",
    });
    expect(parseLegacyLogSubject(subjects.logs("c1", "t1", "web", "i-3"))).toBeUndefined();
    expect(parseLogSubject(subjects.heartbeat("c1"))).toBeUndefined();
  });

  it("takes a cell message's sender from its subject, refusing a body that names another cell", () => {
    expect(cellSender(subjects.heartbeat("c1"), { cellId: "c1" })).toEqual({ ok: true, cellId: "c1" });
    expect(cellSender(subjects.instanceEvents("c1"), { cellId: "c1" })).toEqual({ ok: true, cellId: "c1" });
    expect(cellSender(subjects.logs("c1", "t1", "web", "i"), { cellId: "c1" })).toEqual({
      ok: true,
      cellId: "c1",
    });
    expect(cellSender(subjects.heartbeat("c1"), { cellId: "c2" })).toEqual({
      ok: false,
      reason: "subject-mismatch",
    });
    expect(cellSender(subjects.register, { cellId: "c1" })).toEqual({
      ok: false,
      reason: "subject-mismatch",
    });
    expect(cellSender("grove.v1.cells.c1.other", { cellId: "c1" })).toEqual({
      ok: false,
      reason: "subject-mismatch",
    });
  });
});
