import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeCacheOf, currentBundle, nodeArgsFor } from "../../../infra/bin-entry.mjs";

const root = fileURLToPath(new URL("../../..", import.meta.url));

describe("npm run build", () => {
  // built into a directory of the test's own: other tests start processes from the repository's bundles
  let out: string;
  beforeAll(async () => {
    // inside the repository, where the services' bundles find node_modules
    await mkdir(join(root, ".grove"), { recursive: true });
    out = await mkdtemp(join(root, ".grove", "test-build-"));
    await execa(process.execPath, [join(root, "infra/build.mjs"), "--out-dir", out]);
  }, 120_000);
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("bundles the CLI so it runs on plain Node, without tsx", async () => {
    const result = await execa(process.execPath, [join(out, "apps/cli/dist/grove.cjs"), "--version"]);
    expect(result.stdout).toBe("0.0.0");
    const bad = await execa(process.execPath, [join(out, "apps/cli/dist/grove.cjs"), "scale"], {
      reject: false,
    });
    expect(bad.stderr).toBe("grove: missing required argument 'name'");
    expect(bad.exitCode).toBe(1);
  });

  it("runs the CLI with V8's code cache, made at its first run and never used for another source", async () => {
    const bundle = join(out, "apps/cli/dist/grove.cjs");
    const runner = join(out, "run-grove.cjs");
    const entry = JSON.stringify(join(root, "infra/bin-entry.cjs"));
    await writeFile(runner, `require(${entry}).runWithCodeCache(${JSON.stringify(bundle)});\n`);
    const run = async (args: string[]) => {
      const result = await execa(process.execPath, [runner, ...args], {
        env: { GROVE_DEBUG: "1" },
        reject: false,
      });
      return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
    };
    const cacheFile = codeCacheOf(bundle);
    const says = (what: string) => `grove: code cache ${what}: ${cacheFile}`;
    await rm(cacheFile, { force: true });
    expect(await run(["--version"])).toEqual({ stdout: "0.0.0", stderr: says("written"), exitCode: 0 });
    expect(await run(["--version"])).toEqual({ stdout: "0.0.0", stderr: says("used"), exitCode: 0 });
    // failures run the same way (GROVE_DEBUG adds their stack)
    const bad = await run(["scale"]);
    const lines = bad.stderr.split("\n");
    expect([lines[0], lines.at(-1)]).toEqual([says("used"), "grove: missing required argument 'name'"]);
    expect(bad.exitCode).toBe(1);
    // the cache holds the source it was made for: one made for another build is not used
    const source = await readFile(bundle);
    const cache = await readFile(cacheFile);
    expect(cache.readUInt32LE(0)).toBe(source.length);
    expect(cache.subarray(4, 4 + source.length).equals(source)).toBe(true);
    const other = Buffer.from(source);
    other[other.length - 2] = other[other.length - 2] === 0x20 ? 0x0a : 0x20;
    await writeFile(
      cacheFile,
      Buffer.concat([cache.subarray(0, 4), other, cache.subarray(4 + source.length)]),
    );
    expect((await run(["--version"])).stderr).toBe(says("written"));
    // data V8 refuses (here a broken header; also another Node's or other flags') is replaced
    const fresh = await readFile(cacheFile);
    fresh.fill(0, 4 + source.length, 4 + source.length + 8);
    await writeFile(cacheFile, fresh);
    expect((await run(["--version"])).stderr).toBe(says("refused by V8, rewritten"));
    expect((await run(["--version"])).stderr).toBe(says("used"));
    await writeFile(cacheFile, "not a cache");
    expect(await run(["--version"])).toEqual({ stdout: "0.0.0", stderr: says("written"), exitCode: 0 });
  });

  it("bundles every service, which loads its whole module graph up to its configuration check", async () => {
    for (const [bundle, says] of [
      ["apps/api/dist/main.js", /^grove-api: invalid configuration: DATABASE_URL/],
      ["apps/agent/dist/main.js", /^grove-agent: invalid agent configuration: NATS_URL/],
      ["packages/garden-server/dist/main.js", /^grove-garden: --depot DIR is required/],
    ] as const) {
      const run = await execa(process.execPath, [join(out, bundle)], {
        env: { PATH: process.env.PATH ?? "" },
        extendEnv: false,
        reject: false,
      });
      expect(run.stderr, bundle).toMatch(says);
      expect(run.exitCode, bundle).not.toBe(0);
    }
  });

  it("writes beside each bundle the sources it was built from, so a changed source is noticed", () => {
    const api = join(out, "apps/api/dist/main.js");
    expect(currentBundle(api)).toBe(api);
    expect(nodeArgsFor("apps/unknown/src/main.ts")).toEqual([
      "--import",
      "tsx",
      join(root, "apps/unknown/src/main.ts"),
    ]);
  });
});

describe("a bundle is current only while its sources are unchanged", () => {
  let dir: string;
  const source = "src/main.ts";
  const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "grove-bundle-"));
    await writeFile(join(dir, "bundle.js"), "");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function built(text: string, builtAt: number): Promise<string> {
    await rm(join(dir, "src"), { recursive: true, force: true });
    await execa("mkdir", ["-p", join(dir, "src")]);
    await writeFile(join(dir, source), text);
    await writeFile(
      join(dir, "bundle.inputs.json"),
      JSON.stringify({ builtAt, inputs: [{ path: source, sha1: sha1(text) }] }),
    );
    return join(dir, "bundle.js");
  }

  it("uses a bundle whose sources are older than it", async () => {
    const bundle = await built("export {};\n", Date.now() + 60_000);
    expect(currentBundle(bundle, dir)).toBe(bundle);
  });

  it("uses a bundle whose sources were touched (a checkout, a restored cache) but not changed", async () => {
    const bundle = await built("export {};\n", Date.now() - 60_000);
    expect(currentBundle(bundle, dir)).toBe(bundle);
  });

  it("falls back to the sources when one changed, went missing, or GROVE_FROM_SOURCE=1", async () => {
    const bundle = await built("export {};\n", Date.now() - 60_000);
    await writeFile(join(dir, source), "export const changed = 1;\n");
    expect(currentBundle(bundle, dir)).toBeUndefined();
    await rm(join(dir, source));
    expect(currentBundle(bundle, dir)).toBeUndefined();
    const fresh = await built("export {};\n", Date.now() + 60_000);
    await utimes(join(dir, source), new Date(), new Date());
    process.env.GROVE_FROM_SOURCE = "1";
    try {
      expect(currentBundle(fresh, dir)).toBeUndefined();
    } finally {
      delete process.env.GROVE_FROM_SOURCE;
    }
    expect(currentBundle(join(dir, "never-built.js"), dir)).toBeUndefined();
  });
});
