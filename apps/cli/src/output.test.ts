import { describe, expect, it } from "vitest";
import { createOutput } from "./output";

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return {
    written,
    stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream,
  };
}

describe("createOutput", () => {
  it("colours only a terminal's output, and never when NO_COLOR is set", () => {
    for (const [isTTY, env, coloured] of [
      [true, {}, true],
      [true, { NO_COLOR: "1" }, false],
      [false, {}, false],
    ] as const) {
      const stdout = fakeStream(isTTY);
      const out = createOutput(false, { stdout: stdout.stream, stderr: fakeStream(isTTY).stream, env });
      out.table(["NAME", "STATE"], [["web", "started"]]);
      expect(stdout.written.join("").includes("\x1b[")).toBe(coloured);
    }
  });

  it("aligns table columns and writes notes to stderr", () => {
    const stdout = fakeStream(false);
    const stderr = fakeStream(false);
    const out = createOutput(false, { stdout: stdout.stream, stderr: stderr.stream, env: {} });
    out.table(
      ["NAME", "STATE"],
      [
        ["web-long", "started"],
        ["api", "stopped"],
      ],
    );
    out.note("uploading");
    expect(stdout.written.join("")).toBe("NAME      STATE\nweb-long  started\napi       stopped\n");
    expect(stderr.written).toEqual(["uploading\n"]);
  });
});
