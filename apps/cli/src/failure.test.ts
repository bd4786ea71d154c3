import { ApiError, ApiUnreachable } from "@grove/client";
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { NotHealthy, UsageError } from "./errors";
import { describeFailure } from "./failure";

describe("describeFailure", () => {
  it("prints API problems as their detail with status and title, hinting login on 401", () => {
    expect(describeFailure(new ApiError({ status: 404, title: "Not found", detail: "no app web" }))).toEqual({
      line: "grove: no app web (404 Not found)",
      exitCode: 1,
    });
    expect(
      describeFailure(new ApiError({ status: 401, title: "Unauthorized", detail: "unknown token" })).line,
    ).toBe("grove: unknown token (401 Unauthorized); run grove login");
  });

  it("keeps every failure on one line and gives not-healthy exit 2", () => {
    expect(describeFailure(new NotHealthy("web: instance 0 crashed"))).toEqual({
      line: "grove: web: instance 0 crashed",
      exitCode: 2,
    });
    expect(describeFailure(new UsageError("bad\n  flag")).line).toBe("grove: bad flag");
    expect(
      describeFailure(new CommanderError(1, "commander.unknownOption", "error: unknown option '-x'")),
    ).toEqual({ line: "grove: unknown option '-x'", exitCode: 1 });
    const unreachable = new ApiUnreachable(
      "http://127.0.0.1:9",
      Object.assign(new Error("connect ECONNREFUSED"), {}),
    );
    expect(describeFailure(unreachable).line).toBe(
      "grove: cannot reach the API at http://127.0.0.1:9: connect ECONNREFUSED",
    );
  });
});
