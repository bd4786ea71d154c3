import { describe, expect, it } from "vitest";
import type { OciProcess } from "../bundle/oci-types";
import { InvalidSpec } from "../errors";
import { initRequest } from "./init-request";

const base: OciProcess = {
  terminal: false,
  user: { uid: 1000, gid: 1001 },
  args: ["sh", "-c", "echo a=b"],
  env: ["PATH=/bin", "EMPTY="],
  cwd: "/home/vcap",
  capabilities: { bounding: [], effective: [], permitted: [], inheritable: [] },
  rlimits: [{ type: "RLIMIT_NOFILE", soft: 123, hard: 456 }],
  noNewPrivileges: true,
};

describe("initRequest", () => {
  it("spells the process as NUL-terminated key=value entries, arguments in order", () => {
    expect(initRequest(base).toString().split("\0")).toEqual([
      "arg=sh",
      "arg=-c",
      "arg=echo a=b",
      "env=PATH=/bin",
      "env=EMPTY=",
      "uid=1000",
      "gid=1001",
      "cwd=/home/vcap",
      "rlimit=RLIMIT_NOFILE:123:456",
      "",
    ]);
  });

  it("refuses NUL bytes, oversized requests and too many entries instead of cutting them short", () => {
    expect(() => initRequest({ ...base, args: ["a\0b"] })).toThrow(InvalidSpec);
    expect(() => initRequest({ ...base, env: [`BIG=${"x".repeat(1 << 20)}`] })).toThrow(/exceed/);
    expect(() => initRequest({ ...base, args: Array.from({ length: 5000 }, () => "a") })).toThrow(
      /at most 4096 arguments/,
    );
  });
});
