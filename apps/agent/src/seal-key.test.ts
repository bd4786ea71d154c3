import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCurve } from "@nats-io/nkeys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SealKey } from "./seal-key";

describe("the cell's seal key", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "grove-seal-key-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is made once, kept readable by the agent alone, and opens only what was sealed for it", async () => {
    const key = await SealKey.load(dir);
    expect((await stat(join(dir, "seal-key"))).mode & 0o777).toBe(0o600);
    expect((await SealKey.load(dir)).publicKey).toBe(key.publicKey);
    const seal = (recipient: string, text = '{"username":"u","password":"p"}') => {
      const once = createCurve();
      const box = once.seal(new TextEncoder().encode(text), recipient);
      return { from: once.getPublicKey(), box: Buffer.from(box).toString("base64") };
    };
    expect(key.open(seal(key.publicKey))).toEqual({ username: "u", password: "p" });
    expect(() => key.open(seal(createCurve().getPublicKey()))).toThrow(/not sealed for this cell's key/);
    expect(() => key.open(seal(key.publicKey, "u:p"))).toThrow(/not JSON/);
    expect(() => key.open(seal(key.publicKey, '{"username":"u"}'))).toThrow(/lack a username or password/);
  });
});
