import { subjects } from "@grove/protocol";
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

  it("never lets a cell publish or hear route messages, nor another cell's commands", () => {
    for (const subject of [subjects.routerRegister, subjects.routerUnregister, subjects.routerGreet]) {
      expect(allowed(mine.pub, subject)).toBe(false);
      expect(allowed(mine.sub, subject)).toBe(false);
    }
    expect(allowed(mine.sub, subjects.commands("cell-a"))).toBe(true);
    expect(allowed(mine.sub, subjects.commands("cell-b"))).toBe(false);
    expect(allowed(mine.sub, subjects.exec("cell-b"))).toBe(false);
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
