import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryError } from "./errors";
import { RegistryClient } from "./registry-client";

// A stand-in for a token-authenticated registry (the real docker-registry runs in test/), to pin
// the bearer-token handshake without TLS or an auth server.
const blob = Buffer.from("layer bytes");
const blobDigest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
const stored = Buffer.from("bytes kept in storage elsewhere");
const storedDigest = `sha256:${createHash("sha256").update(stored).digest("hex")}`;
let server: Server;
let base: string;
let dir: string;
// where the registry redirects a blob (as one backed by S3 does), and the authorization it saw
let storage: Server;
let storageBase: string;
const storageAuth: Array<string | undefined> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "grove-img-auth-"));
  storage = createServer((req, res) => {
    storageAuth.push(req.headers.authorization);
    res.end(stored);
  });
  await new Promise<void>((resolve) => storage.listen(0, "127.0.0.1", resolve));
  storageBase = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    if (url.pathname === "/token") {
      const ok = req.headers.authorization === `Basic ${Buffer.from("u:p").toString("base64")}`;
      const scope = url.searchParams.get("scope");
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? { token: `tok:${scope}` } : {}));
      return;
    }
    if (req.headers.authorization !== "Bearer tok:repository:team/app:pull") {
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="${base}/token",service="test",scope="repository:team/app:pull"`,
      });
      res.end();
      return;
    }
    if (url.pathname === `/v2/team/app/blobs/${blobDigest}`) {
      res.end(blob);
      return;
    }
    if (url.pathname === `/v2/team/app/blobs/${storedDigest}`) {
      res.writeHead(307, { location: `${storageBase}/bucket/${storedDigest}?sig=x` });
      res.end();
      return;
    }
    if (url.pathname === `/v2/team/app/blobs/sha256:${"0".repeat(64)}`) {
      res.end(blob);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => storage.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("RegistryClient", () => {
  const ref = () => ({ registry: base.slice("http://".length), repository: "team/app", reference: "v1" });

  it("answers a bearer challenge with a token fetched using basic credentials", async () => {
    const client = new RegistryClient(ref(), "http", { username: "u", password: "p" });
    const dest = join(dir, "blob");
    await client.downloadBlob(blobDigest, dest, join(dir, "tmp-1"));
    expect(await readFile(dest)).toEqual(blob);
  });

  it("follows a blob's redirect to storage elsewhere without handing it the registry's token", async () => {
    const client = new RegistryClient(ref(), "http", { username: "u", password: "p" });
    const dest = join(dir, "stored");
    await client.downloadBlob(storedDigest, dest, join(dir, "tmp-4"));
    expect(await readFile(dest)).toEqual(stored);
    expect(storageAuth).toEqual([undefined]);
  });

  it("fails with RegistryError when the token server refuses the credentials", async () => {
    const client = new RegistryClient(ref(), "http", { username: "u", password: "wrong" });
    await expect(client.downloadBlob(blobDigest, join(dir, "x"), join(dir, "tmp-2"))).rejects.toBeInstanceOf(
      RegistryError,
    );
  });

  it("refuses a blob whose bytes do not match its digest and keeps nothing", async () => {
    const client = new RegistryClient(ref(), "http", { username: "u", password: "p" });
    const wrong = `sha256:${"0".repeat(64)}`;
    const err = await client.downloadBlob(wrong, join(dir, "bad"), join(dir, "tmp-3")).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(String(err)).toMatch(/digest mismatch/);
    await expect(readFile(join(dir, "bad"))).rejects.toThrow(/ENOENT/);
    await expect(readFile(join(dir, "tmp-3"))).rejects.toThrow(/ENOENT/);
  });
});
