import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isExecutableNotFound, lastRuntimeError, logOffset } from "./runtime-log";

describe("lastRuntimeError", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const line = (level: string, msg: string, extra: object = {}) =>
    `${JSON.stringify({ level, msg, ...extra })}\n`;

  it("returns the last error and names nsexec's underlying cause", async () => {
    dir = await mkdtemp(join(tmpdir(), "rlog-"));
    const log = join(dir, "log");
    await writeFile(
      log,
      line("warning", "cgroup not empty") +
        line("fatal", "nsexec-0[1]: failed to open mount source /x: No such file or directory") +
        line("error", "runc create failed: can't get final child's PID from pipe: EOF"),
    );
    expect(await lastRuntimeError(log)).toBe(
      "runc create failed: can't get final child's PID from pipe: EOF (failed to open mount source /x: No such file or directory)",
    );
  });

  it("only looks at what was logged after the offset, and includes an error field", async () => {
    dir = await mkdtemp(join(tmpdir(), "rlog-"));
    const log = join(dir, "log");
    await writeFile(log, line("error", "an old failure"));
    const offset = await logOffset(log);
    expect(await lastRuntimeError(log, offset)).toBe("");
    await appendFile(log, `torn{\n${line("error", "Failed to remove cgroup", { error: "device busy" })}`);
    expect(await lastRuntimeError(log, offset)).toBe("Failed to remove cgroup: device busy");
    expect(await lastRuntimeError(join(dir, "missing"))).toBe("");
  });
});

describe("isExecutableNotFound", () => {
  it("recognises runc's messages for a missing binary only", () => {
    expect(
      isExecutableNotFound(
        'exec failed: unable to start container process: exec: "nope": executable file not found in $PATH',
      ),
    ).toBe(true);
    expect(
      isExecutableNotFound(
        'exec failed: unable to start container process: exec: "/x": stat /x: no such file or directory',
      ),
    ).toBe(true);
    expect(isExecutableNotFound("failed to open mount source /x: No such file or directory")).toBe(false);
  });
});
