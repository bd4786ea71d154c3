import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));

describe("the grove binary", () => {
  it("runs from the repo root as npx grove", async () => {
    const result = await execa("npx", ["--no-install", "grove", "--version"], { cwd: root, reject: false });
    expect(result.stdout).toBe("0.0.0");
    expect(result.exitCode).toBe(0);
  });

  it("prints help on stdout with exit 0 when run alone, and usage errors as one line", async () => {
    const bin = fileURLToPath(new URL("../bin/grove.js", import.meta.url));
    const alone = await execa(process.execPath, [bin], { reject: false });
    expect(alone.exitCode).toBe(0);
    expect(alone.stdout).toMatch(/^Usage: grove \[options\] \[command\]/);
    const bad = await execa(process.execPath, [bin, "scale"], { reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toBe("grove: missing required argument 'name'");
  });
});
