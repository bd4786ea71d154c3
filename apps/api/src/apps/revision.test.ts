import { describe, expect, it } from "vitest";
import { changedFields } from "./revision";

const app = {
  stack: "busybox",
  command: "httpd",
  env: { A: "1" },
  memoryMb: 256,
  diskMb: 1024,
  ports: [8080],
  healthCheck: { type: "port" },
  bitsDigest: null as string | null,
  instances: 2,
  state: "started",
};

describe("changedFields", () => {
  it("counts env, health check, bits and ports changes as revision changes", () => {
    const patch = { env: { A: "2" }, healthCheck: { type: "process" }, bitsDigest: "sha256:x", ports: [80] };
    expect(changedFields(app, patch).revision.sort()).toEqual(["bitsDigest", "env", "healthCheck", "ports"]);
  });

  it("does not count instances or state as revision changes", () => {
    expect(changedFields(app, { instances: 5, state: "stopped" })).toEqual({
      revision: [],
      other: ["instances", "state"],
    });
  });

  it("ignores fields set to their current value (deep equality) or undefined", () => {
    expect(changedFields(app, { env: { A: "1" }, memoryMb: 256, command: undefined })).toEqual({
      revision: [],
      other: [],
    });
  });
});
