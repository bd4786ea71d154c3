import { describe, expect, it } from "vitest";
import { ChildFailed } from "./child-failed";
import { runChild, tryChild } from "./run-child";

describe("ChildFailed", () => {
  it("names the tool, quotes its last five lines of stderr and ends with the hint", () => {
    const stderr = ["one", "two", "", "three", "four", "five", "six", ""].join("\n");
    const error = new ChildFailed("/usr/sbin/nft", { exitCode: 1, stderr, stdout: "ignored" }, "Do this.");
    expect(error.message).toBe("nft exited with code 1:\n  two\n  three\n  four\n  five\n  six\nDo this.");
    expect({ command: error.command, exitCode: error.exitCode, hint: error.hint }).toEqual({
      command: "nft",
      exitCode: 1,
      hint: "Do this.",
    });
  });

  it("quotes stdout when stderr is empty, and says when there was nothing at all", () => {
    expect(new ChildFailed("bridge", { exitCode: 7, stderr: "", stdout: '{"msg":"x"}' }, "H.").message).toBe(
      'bridge exited with code 7:\n  {"msg":"x"}\nH.',
    );
    expect(
      new ChildFailed("runc", { exitCode: undefined, signal: "SIGKILL", stderr: "" }, "H.").message,
    ).toBe("runc was killed by SIGKILL without a message\nH.");
  });
});

describe("runChild", () => {
  it("returns stdout (input given on stdin) and throws ChildFailed with the tool's stderr", async () => {
    expect(await runChild("cat", [], { input: "abc\n", hint: "-" })).toBe("abc");
    const failed = await runChild("sh", ["-c", "echo out; echo 'sh: it broke' >&2; exit 3"], {
      hint: "Fix it.",
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ChildFailed);
    expect((failed as Error).message).toBe("sh exited with code 3:\n  sh: it broke\nFix it.");
  });

  it("reports a tool that is not installed as exit 127 naming it", async () => {
    const outcome = await tryChild("/nonexistent/grove-tool", []);
    expect(outcome.exitCode).toBe(127);
    expect(outcome.stderr).toContain("/nonexistent/grove-tool: not found");
  });
});
