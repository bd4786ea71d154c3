import { subjects, VOLUME_DATA_BUCKET } from "@grove/protocol";
import { describe, expect, it } from "vitest";
import { cellPermissions, joinPermissions, routerPermissions } from "./permissions";

/** NATS subject matching: `*` is one token, `>` the rest (one token or more). */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length || (p[i] !== "*" && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

const allowed = (list: { allow?: string[] } | undefined, subject: string) =>
  (list?.allow ?? []).some((pattern) => matches(pattern, subject));

describe("NATS user permissions", () => {
  const mine = cellPermissions("cell-a");

  it("lets a cell publish only its own heartbeat, sync and events", () => {
    expect(allowed(mine.pub, subjects.heartbeat("cell-a"))).toBe(true);
    expect(allowed(mine.pub, subjects.instanceEvents("cell-a"))).toBe(true);
    expect(allowed(mine.pub, subjects.heartbeat("cell-b"))).toBe(false);
    expect(allowed(mine.pub, subjects.stateSync("cell-b"))).toBe(false);
    expect(allowed(mine.pub, subjects.instanceEvents("cell-b"))).toBe(false);
    expect(allowed(mine.pub, subjects.register)).toBe(false);
  });

  it("lets a cell publish log lines and exec output only under its own id", () => {
    expect(allowed(mine.pub, subjects.logs("cell-a", "t1", "app", "i-1"))).toBe(true);
    expect(allowed(mine.pub, subjects.logs("cell-b", "t1", "app", "i-1"))).toBe(false);
    expect(allowed(mine.pub, subjects.legacyLogs("cell-a", "app", "i-1"))).toBe(true);
    expect(allowed(mine.pub, subjects.legacyLogs("cell-b", "app", "i-1"))).toBe(false);
    expect(allowed(mine.pub, "grove.v1.logs.app.i-1")).toBe(false);
    expect(allowed(mine.pub, subjects.execOutput("cell-a", "e1", "a1"))).toBe(true);
    expect(allowed(mine.pub, subjects.execOutput("cell-b", "e1", "a1"))).toBe(false);
    expect(allowed(mine.pub, "grove.v1.exec.e1.out.a1")).toBe(false);
    // nothing it may hear is something it may say, and the reverse
    expect(allowed(mine.pub, subjects.execControl("cell-a", "e1"))).toBe(false);
    expect(allowed(mine.pub, subjects.commands("cell-a"))).toBe(false);
  });

  it("lets a cell hear only its own commands, exec requests and exec controls", () => {
    expect(allowed(mine.sub, subjects.execControl("cell-a", "e1"))).toBe(true);
    expect(allowed(mine.sub, subjects.execControl("cell-b", "e1"))).toBe(false);
    expect(allowed(mine.sub, "grove.v1.exec.e1.control")).toBe(false);
    expect(allowed(mine.sub, subjects.logs("cell-b", "t1", "app", "i-1"))).toBe(false);
    expect(allowed(mine.sub, subjects.logs("cell-a", "t1", "app", "i-1"))).toBe(false);
    expect(allowed(mine.sub, subjects.execOutput("cell-b", "e1", "a1"))).toBe(false);
    expect(allowed(mine.sub, subjects.heartbeat("cell-b"))).toBe(false);
    expect(allowed(mine.sub, "_GROVE_INBOX.cell-a.x")).toBe(true);
    expect(allowed(mine.sub, "_GROVE_INBOX.cell-b.x")).toBe(false);
  });

  it("lists exactly the cell's own subjects (and reading bits) and no wildcard wider than them", () => {
    const grove = (list: string[] | undefined) => (list ?? []).filter((s) => s.startsWith("grove."));
    expect(grove(mine.pub?.allow).sort()).toEqual(
      [
        subjects.heartbeat("cell-a"),
        subjects.stateSync("cell-a"),
        subjects.instanceEvents("cell-a"),
        subjects.cellLogs("cell-a"),
        subjects.legacyCellLogs("cell-a"),
        subjects.cellExecOutputs("cell-a"),
        subjects.policySlice("cell-a"),
      ].sort(),
    );
    expect(grove(mine.sub?.allow).sort()).toEqual(
      [
        subjects.commands("cell-a"),
        subjects.volumeTransfers("cell-a"),
        subjects.exec("cell-a"),
        subjects.cellExecControls("cell-a"),
        subjects.policyChanged,
      ].sort(),
    );
    for (const pattern of [...(mine.pub?.allow ?? []), ...(mine.sub?.allow ?? [])]) {
      if (pattern.startsWith("grove.") && pattern !== subjects.policyChanged)
        expect(pattern).toMatch(
          /^grove\.v1\.((cells|events\.instances)\.cell-a(\.|$)|logs\.\*\.(\*\.)?cell-a\.\*$)/,
        );
    }
  });

  it("never lets a cell publish or hear route messages, nor another cell's commands", () => {
    for (const subject of [subjects.routerRegister, subjects.routerUnregister, subjects.routerGreet]) {
      expect(allowed(mine.pub, subject)).toBe(false);
      expect(allowed(mine.sub, subject)).toBe(false);
    }
    expect(allowed(mine.sub, subjects.commands("cell-a"))).toBe(true);
    expect(allowed(mine.sub, subjects.commands("cell-b"))).toBe(false);
    expect(allowed(mine.sub, subjects.exec("cell-b"))).toBe(false);
    // volume data: a cell hears only transfers of its own volumes and never reads the object store
    expect(allowed(mine.sub, subjects.volumeTransfers("cell-b"))).toBe(false);
    expect(allowed(mine.pub, subjects.volumeTransfers("cell-a"))).toBe(false);
    for (const api of ["CONSUMER.CREATE", "STREAM.INFO", "STREAM.MSG.GET"])
      expect(allowed(mine.pub, `$JS.API.${api}.OBJ_${VOLUME_DATA_BUCKET}`)).toBe(false);
    expect(allowed(mine.pub, `$O.${VOLUME_DATA_BUCKET}.C.x`)).toBe(false);
  });

  it("lets a cell ask only for its own policy slice, and hear the revision every cell hears", () => {
    expect(allowed(mine.pub, subjects.policySlice("cell-a"))).toBe(true);
    expect(allowed(mine.pub, subjects.policySlice("cell-b"))).toBe(false);
    expect(allowed(mine.sub, subjects.policySlice("cell-b"))).toBe(false);
    expect(allowed(mine.sub, subjects.policyChanged)).toBe(true);
    expect(allowed(mine.pub, subjects.policyChanged)).toBe(false);
  });

  it("lets the join user only ask to register, and the router only speak route messages", () => {
    const join = joinPermissions();
    expect(allowed(join.pub, subjects.register)).toBe(true);
    expect(allowed(join.pub, subjects.heartbeat("cell-a"))).toBe(false);
    expect(allowed(join.sub, subjects.commands("cell-a"))).toBe(false);
    const router = routerPermissions();
    expect(allowed(router.sub, subjects.routerRegister)).toBe(true);
    expect(allowed(router.pub, subjects.routerRegister)).toBe(false);
    expect(allowed(router.sub, subjects.commands("cell-a"))).toBe(false);
  });
});
