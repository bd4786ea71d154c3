import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAgentConfig } from "./config";

describe("the join token from a file (systemd's LoadCredential)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "grove-agent-config-"));
    await writeFile(join(dir, "join-token"), "gjt_secret\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads GROVE_JOIN_TOKEN_FILE when GROVE_JOIN_TOKEN is unset, without its newline", () => {
    const config = parseAgentConfig({
      NATS_URL: "tls://n:4222",
      GROVE_JOIN_TOKEN_FILE: join(dir, "join-token"),
    });
    expect(config.GROVE_JOIN_TOKEN).toBe("gjt_secret");
  });

  it("prefers GROVE_JOIN_TOKEN, and takes a file that is gone as no token (the cell has joined)", () => {
    const file = join(dir, "join-token");
    expect(
      parseAgentConfig({ NATS_URL: "n", GROVE_JOIN_TOKEN: "env", GROVE_JOIN_TOKEN_FILE: file })
        .GROVE_JOIN_TOKEN,
    ).toBe("env");
    expect(
      parseAgentConfig({ NATS_URL: "n", GROVE_JOIN_TOKEN_FILE: join(dir, "gone") }).GROVE_JOIN_TOKEN,
    ).toBeUndefined();
  });

  it("names the variable when the file cannot be read", () => {
    expect(() => parseAgentConfig({ NATS_URL: "n", GROVE_JOIN_TOKEN_FILE: dir })).toThrow(
      /GROVE_JOIN_TOKEN_FILE: EISDIR/,
    );
  });
});

describe("the start and teardown lanes", () => {
  it("default to 3 containers made and 3 torn down at once, and take whole numbers from 1 to 64", () => {
    const defaults = parseAgentConfig({ NATS_URL: "n" });
    expect([defaults.GROVE_STARTS_AT_ONCE, defaults.GROVE_TEARDOWNS_AT_ONCE]).toEqual([3, 3]);
    const set = parseAgentConfig({ NATS_URL: "n", GROVE_STARTS_AT_ONCE: "8", GROVE_TEARDOWNS_AT_ONCE: "1" });
    expect([set.GROVE_STARTS_AT_ONCE, set.GROVE_TEARDOWNS_AT_ONCE]).toEqual([8, 1]);
    for (const bad of ["0", "-1", "2.5", "65", "many"])
      expect(() => parseAgentConfig({ NATS_URL: "n", GROVE_STARTS_AT_ONCE: bad })).toThrow(
        /GROVE_STARTS_AT_ONCE/,
      );
  });
});
