import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it, onTestFinished } from "vitest";
import { builtGrove } from "./harness";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const bin = fileURLToPath(new URL("../bin/grove.js", import.meta.url));

/** A CA of the test's own and a certificate for 127.0.0.1 it signed, made with openssl. */
async function testCa(): Promise<{ caFile: string; key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), "grove-cli-ca-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const at = (name: string) => join(dir, name);
  const req = (...args: string[]) =>
    execa(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"].concat([
        "-nodes",
        "-days",
        "2",
        ...args,
      ]),
    );
  await req("-keyout", at("ca.key"), "-out", at("ca.pem"), "-subj", "/CN=grove test CA");
  await req(
    ...["-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-keyout", at("server.key")].concat([
      "-out",
      at("server.pem"),
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]),
  );
  return {
    caFile: at("ca.pem"),
    key: await readFile(at("server.key"), "utf8"),
    cert: await readFile(at("server.pem"), "utf8"),
  };
}

describe("the grove binary", () => {
  it("runs from the repo root as npx grove", async () => {
    const result = await execa("npx", ["--no-install", "grove", "--version"], { cwd: root, reject: false });
    expect(result.stdout).toBe("0.0.0");
    expect(result.exitCode).toBe(0);
  });

  it("prints help on stdout with exit 0 when run alone, and usage errors as one line", async () => {
    const alone = await execa(process.execPath, [bin], { reject: false });
    expect(alone.exitCode).toBe(0);
    expect(alone.stdout).toMatch(/^Usage: grove \[options\] \[command\]/);
    const bad = await execa(process.execPath, [bin, "scale"], { reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toBe("grove: missing required argument 'name'");
  });

  it("trusts NODE_EXTRA_CA_CERTS for an https API, though its launcher starts Node without it", async () => {
    const { caFile, key, cert } = await testCa();
    const server = createServer({ key, cert }, (_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ items: [], next_cursor: null }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const api = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const args = ["apps", "list", "--api", api, "--token", "t", "--json"];
    const run = async (file: string, fileArgs: string[], env: Record<string, string>) => {
      const result = await execa(file, [...fileArgs, ...args], {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
        extendEnv: false,
        reject: false,
      });
      return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
    };
    const listed = { stdout: "[]", stderr: "", exitCode: 0 };
    // the binary itself, as a shell runs it: through its #! line
    expect(await run(bin, [], { NODE_EXTRA_CA_CERTS: caFile })).toEqual(listed);
    // the bundle, whichever way bin/grove.js went, given the file as the #! line hands it over
    expect(await run(process.execPath, [await builtGrove()], { GROVE_EXTRA_CA_CERTS: caFile })).toEqual(
      listed,
    );
    const untrusted = await run(bin, [], {});
    expect(untrusted.exitCode).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate/);
  }, 120_000);
});
