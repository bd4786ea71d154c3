import { describe, expect, it } from "vitest";
import { decode, ExecControl, ExecOutput, ExecRequest, encode, InvalidSubjectToken, subjects } from "./index";

describe("exec messages", () => {
  it("round-trips an exec request with defaults applied", () => {
    const bytes = encode(ExecRequest, {
      v: 1,
      execId: "e1",
      tenantId: "t1",
      instanceId: "i1",
      command: ["sh", "-c", "echo hi"],
      tty: { columns: 80, rows: 24 },
    });
    const r = decode(ExecRequest, bytes);
    expect(r.ok && r.value).toMatchObject({ command: ["sh", "-c", "echo hi"], env: {}, tty: { rows: 24 } });
  });

  it("refuses an empty command and a control with an unknown signal", () => {
    expect(
      decode(ExecRequest, JSON.stringify({ v: 1, execId: "e", tenantId: "t", instanceId: "i", command: [] }))
        .ok,
    ).toBe(false);
    const bad = JSON.stringify({ v: 1, tenantId: "t", action: { type: "signal", signal: "hup" } });
    expect(decode(ExecControl, bad).ok).toBe(false);
  });

  it("carries stdin as base64 with an optional end of input", () => {
    const r = decode(
      ExecControl,
      encode(ExecControl, { v: 1, tenantId: "t", action: { type: "stdin", data: "aGkK" } }),
    );
    expect(r.ok && r.value.action).toEqual({ type: "stdin", data: "aGkK", eof: false });
    expect(
      decode(ExecControl, JSON.stringify({ v: 1, tenantId: "t", action: { type: "stdin", data: "!!" } })).ok,
    ).toBe(false);
  });

  it("attaches with a window of output credit, granted again by credit controls", () => {
    const attach = decode(
      ExecControl,
      encode(ExecControl, { v: 1, tenantId: "t", action: { type: "attach", attachId: "a1" } }),
    );
    expect(attach.ok && attach.value.action).toEqual({ type: "attach", attachId: "a1", window: 1024 * 1024 });
    const credit = { v: 1, tenantId: "t", action: { type: "credit", attachId: "a1", bytes: 0 } };
    expect(decode(ExecControl, JSON.stringify(credit)).ok).toBe(false);
    credit.action.bytes = 65_536;
    expect(decode(ExecControl, JSON.stringify(credit)).ok).toBe(true);
  });

  it("orders output chunks and ends with an exit code", () => {
    const exit = decode(
      ExecOutput,
      encode(ExecOutput, { v: 1, seq: 3, event: { type: "exit", exitCode: 3 } }),
    );
    expect(exit.ok && exit.value.event).toEqual({ type: "exit", exitCode: 3 });
  });

  it("scopes exec subjects to the cell and the exec id", () => {
    expect(subjects.exec("c1")).toBe("grove.v1.cells.c1.exec");
    expect(subjects.execControl("c1", "e1")).toBe("grove.v1.cells.c1.exec.e1.control");
    expect(subjects.execOutput("c1", "e1", "a1")).toBe("grove.v1.cells.c1.exec.e1.out.a1");
    expect(subjects.cellExecControls("c1")).toBe("grove.v1.cells.c1.exec.*.control");
    expect(subjects.cellExecOutputs("c1")).toBe("grove.v1.cells.c1.exec.*.out.*");
    expect(() => subjects.execControl("c1", "e.*")).toThrow(InvalidSubjectToken);
    expect(() => subjects.execControl("*", "e1")).toThrow(InvalidSubjectToken);
    expect(() => subjects.execOutput("c1", "e1", ">")).toThrow(InvalidSubjectToken);
    expect(() => subjects.cellExecOutputs("c.1")).toThrow(InvalidSubjectToken);
  });
});
