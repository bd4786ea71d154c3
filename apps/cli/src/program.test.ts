import { describe, expect, it } from "vitest";
import { buildProgram, commandNamed } from "./program";

const argv = (...args: string[]) => ["node", "grove", ...args];
const names = (args: string[]) =>
  buildProgram("0.0.0", args)
    .commands.map((c) => c.name())
    .join(" ");

describe("the command tree", () => {
  it("is built for the command the arguments name, past the global options", () => {
    expect(commandNamed(argv("apps", "list"))).toBe("apps");
    expect(commandNamed(argv("--api", "http://x", "--json", "--token", "t", "apps", "ls"))).toBe("apps");
    expect(commandNamed(argv("--api=http://x", "scale", "web", "-i", "2"))).toBe("scale");
    expect(names(argv("--tenant", "acme", "apps", "list"))).toBe("apps");
    expect(names(argv("cells", "tokens", "list"))).toBe("cells");
  });

  it("is built whole for help, no command, a typo or a command after --", () => {
    const all = names(argv());
    expect(all.split(" ")).toEqual(
      expect.arrayContaining(["login", "push", "apps", "cells", "tokens", "quota"]),
    );
    for (const args of [
      argv("--help"),
      argv("-h", "apps"),
      argv("aps", "list"),
      argv("--json"),
      argv("--", "apps"),
      argv("--api", "apps"),
      argv("help", "apps"),
    ]) {
      expect(commandNamed(args)).toBeUndefined();
      expect(names(args)).toBe(all);
    }
  });

  it("parses a command the same whole or alone", async () => {
    const seen: string[] = [];
    for (const args of [argv(), argv("scale", "web", "-i", "2")]) {
      const program = buildProgram("0.0.0", args);
      const scale = program.commands.find((c) => c.name() === "scale");
      scale?.action((name: string, options: { instances: string }) => {
        seen.push(`${name} ${options.instances}`);
      });
      await program.parseAsync(argv("scale", "web", "-i", "2"));
    }
    expect(seen).toEqual(["web 2", "web 2"]);
  });
});
