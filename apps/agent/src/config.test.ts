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
