import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BITS_BUCKET } from "@grove/api";
import type { App, Instance } from "@grove/client";
import { describeWith, it } from "@grove/testkit";
import { Objm } from "@nats-io/obj";
import { expect, onTestFinished } from "vitest";
import { joinHollowCell } from "../../api/test/hollow-cell";
import { configHome, grove, type ServedApi, serveApi } from "./harness";
import { tarListing } from "./tar-listing";

interface PushResult {
  app: App;
  bits: { digest: string; size_bytes: number; outcome: string };
  status: string;
  reason?: string;
  instances: Instance[];
}

async function appDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "grove-push-app-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

async function loggedIn(api: ServedApi): Promise<string> {
  const dev = await api.developerIn("acme");
  const config = await configHome();
  await grove(["login", "--api", api.url, "--token", dev], { config });
  return config;
}

async function bytesUploaded(api: ServedApi): Promise<number> {
  const line = (await api.metrics())
    .split("\n")
    .find((l) => l.startsWith("grove_bits_uploaded_bytes_total "));
  return Number(line?.split(" ")[1] ?? 0);
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
async function eventually<T>(check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const hello = {
  Procfile: "web: httpd -f -p $PORT\n",
  "index.html": "<h1>hello</h1>\n",
  "debug.log": "noise\n",
  "tmp/cache.bin": "cache\n",
  ".groveignore": "*.log\ntmp/\n",
};

describeWith(["root", "postgres", "nats"], "grove push", () => {
  it("packs honouring .groveignore, uploads, creates the app, and skips the upload the second time", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    const config = await loggedIn(api);
    const dir = await appDir(hello);
    const first = await grove(["push", dir, "--name", "web", "-i", "2", "-m", "128M", "--detach", "--json"], {
      config,
    });
    expect(first.exitCode).toBe(0);
    const pushed = first.json<PushResult>();
    expect(pushed).toMatchObject({
      status: "submitted",
      bits: { outcome: "uploaded" },
      app: { name: "web", instances: 2, memory_mb: 128, command: "httpd -f -p $PORT", revision: 2 },
    });
    expect(pushed.app.bits_digest).toBe(pushed.bits.digest);
    const store = await new Objm(api.nc).open(BITS_BUCKET);
    const stored = await store.getBlob(pushed.bits.digest);
    expect(await tarListing(stored as Uint8Array)).toEqual({ Procfile: "file", "index.html": "file" });
    const uploaded = await bytesUploaded(api);
    expect(uploaded).toBe(pushed.bits.size_bytes);

    const second = await grove(["push", dir, "--name", "web", "--detach", "--json"], { config });
    expect(second.exitCode).toBe(0);
    expect(second.json<PushResult>()).toMatchObject({ bits: { outcome: "unchanged" }, app: { revision: 2 } });
    expect(second.stderr).toMatch(/bits unchanged: upload skipped/);
    // the same bits for another app are not sent again either
    const other = await grove(["push", dir, "--name", "web2", "--detach", "--json"], { config });
    expect(other.json<PushResult>()).toMatchObject({
      bits: { outcome: "reused", digest: pushed.bits.digest },
    });
    expect(await bytesUploaded(api)).toBe(uploaded);
    // a changed file is a new upload and a new revision
    await writeFile(join(dir, "index.html"), "<h1>changed</h1>\n");
    const third = await grove(["push", dir, "--name", "web", "--detach", "--json"], { config });
    expect(third.json<PushResult>()).toMatchObject({ bits: { outcome: "uploaded" }, app: { revision: 3 } });
  });

  it("without --command or a Procfile web line, fails in one line and creates nothing", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    const config = await loggedIn(api);
    const dir = await appDir({ "index.html": "hi" });
    const run = await grove(["push", dir, "--name", "web", "--detach"], { config });
    expect(run.exitCode).toBe(1);
    expect(run.errorLines.at(-1)).toBe(
      "grove: no start command: pass --command or add a Procfile with a web: line",
    );
    expect(run.errorLines.filter((l) => l.startsWith("grove:"))).toHaveLength(1);
    const list = await grove(["apps", "list", "--json"], { config });
    expect(list.json()).toEqual([]);
  });

  it("follows placement until the instance runs on a (hollow) cell, then exits 0", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const config = await loggedIn(api);
    const cell = await joinHollowCell(api.nc, (await api.operator().createJoinToken()).token, "hollow-run");
    onTestFinished(() => cell.stop());
    const dir = await appDir(hello);
    const pushing = grove(["push", dir, "--name", "web"], { config });
    const start = await eventually(() => cell.starts[0]);
    expect(start).toMatchObject({ command: "httpd -f -p $PORT", index: 0 });
    await cell.report(start, "RUNNING");
    const run = await pushing;
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe("web: revision 2, 1/1 instances running\n");
    expect(run.stderr).toMatch(/instance 0: RUNNING on hollow-run at 127\.0\.0\.1:\d+/);
  });

  it("exits 2 with the reason when an instance crashes", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const config = await loggedIn(api);
    const cell = await joinHollowCell(api.nc, (await api.operator().createJoinToken()).token, "hollow-crash");
    cell.startHeartbeats(500);
    onTestFinished(() => cell.stop());
    const dir = await appDir(hello);
    const pushing = grove(["push", dir, "--name", "web", "--json"], { config });
    const start = await eventually(() => cell.starts[0]);
    await cell.report(start, "CRASHED");
    const run = await pushing;
    expect(run.exitCode).toBe(2);
    // the api shows the crash itself, or (once convergence replaced it) the replacement's crash count
    const reason = /^web: instance 0 crashed 1 time(: oom \(exit 137\)| and is restarting)$/;
    expect(run.errorLines.at(-1)?.replace(/^grove: /, "")).toMatch(reason);
    expect(run.json<PushResult>()).toMatchObject({ status: "not-healthy" });
    expect(run.json<PushResult>().reason).toMatch(reason);
  });

  it("exits 2 with the scheduler's reason when no cell can place the instances", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const config = await loggedIn(api);
    const dir = await appDir(hello);
    const run = await grove(["push", dir, "--name", "web", "--timeout", "3"], { config });
    expect(run.exitCode).toBe(2);
    expect(run.errorLines.at(-1)).toMatch(/^grove: web: instance 0 could not be placed: .+/);
    expect(run.stdout).toBe("");
  });
});
