import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LogEntry } from "@grove/client";
import { encode, LogLine, type StartInstance, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { execa } from "execa";
import { expect, onTestFinished } from "vitest";
import { type HollowCell, joinHollowCell } from "../../api/test/hollow-cell";
import { configHome, grove, type ServedApi, serveApi } from "./harness";

/** An app with one instance RUNNING on a hollow cell, and a way to write its log lines. */
async function runningApp(api: ServedApi, config: string) {
  const cell = await joinHollowCell(api.nc, (await api.operator().createJoinToken()).token, "hollow-logs");
  cell.startHeartbeats(500);
  onTestFinished(() => cell.stop());
  const dir = await mkdtemp(join(tmpdir(), "grove-logs-test-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "index.html"), "hi");
  const pushing = grove(["push", dir, "--name", "web", "--command", "httpd -f -p $PORT"], { config });
  const start = await startOf(cell);
  await cell.report(start, "RUNNING");
  expect((await pushing).exitCode).toBe(0);
  let n = 0;
  const log = async (line: string, stream: "stdout" | "stderr" = "stdout") => {
    const message = {
      v: 2 as const,
      cellId: cell.cellId,
      appId: start.appId,
      instanceId: start.instanceId,
      index: start.index,
      stream,
      line,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, n++)).toISOString(),
    };
    api.nc.publish(
      subjects.logs(cell.cellId, start.tenantId, start.appId, start.instanceId),
      encode(LogLine, message),
    );
    await api.nc.flush();
  };
  return { log };
}

async function startOf(cell: HollowCell): Promise<StartInstance> {
  const deadline = Date.now() + 15_000;
  while (!cell.starts[0]) {
    if (Date.now() > deadline) throw new Error("no start command within 15 s");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return cell.starts[0];
}

/** `grove logs web -f --json` running, with a way to wait for text on its stdout. */
function follow(config: string) {
  const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
  const child = execa(process.execPath, ["--import", "tsx", main, "logs", "web", "-f", "--json"], {
    env: { PATH: process.env.PATH ?? "", XDG_CONFIG_HOME: config, HOME: config },
    extendEnv: false,
    reject: false,
    buffer: true,
  });
  onTestFinished(() => {
    child.kill("SIGKILL");
  });
  let seen = "";
  child.stdout.on("data", (chunk: Buffer) => {
    seen += chunk.toString();
  });
  const waitFor = async (text: string) => {
    const deadline = Date.now() + 15_000;
    while (!seen.includes(text)) {
      if (Date.now() > deadline) throw new Error(`no "${text}" in grove logs -f output: ${seen}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { child, waitFor, seen: () => seen };
}

describeWith(["root", "postgres", "nats"], "grove logs", () => {
  it("prints an app's recent lines, as text and as NDJSON", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const config = await configHome();
    await grove(["login", "--api", api.url, "--token", await api.developerIn("acme")], { config });
    const app = await runningApp(api, config);
    for (const line of ["one", "two", "three"]) await app.log(line);
    await app.log("oops", "stderr");
    const json = await grove(["logs", "web", "--json", "-n", "3"], { config });
    expect(json.exitCode).toBe(0);
    expect(json.ndjson<LogEntry>().map((e) => [e.line, e.stream, e.index])).toEqual([
      ["two", "stdout", 0],
      ["three", "stdout", 0],
      ["oops", "stderr", 0],
    ]);
    const text = await grove(["logs", "web"], { config });
    expect(text.stdout.split("\n")[0]).toBe("2026-01-01T00:00:00.000Z [0 out] one");
    expect(text.stdout).toMatch(/^2026-01-01T00:00:03\.000Z \[0 err\] oops$/m);
  });

  it("-f follows new lines until interrupted, then exits 0", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const config = await configHome();
    await grove(["login", "--api", api.url, "--token", await api.developerIn("acme")], { config });
    const app = await runningApp(api, config);
    await app.log("before");
    const { child, waitFor, seen } = follow(config);
    await waitFor('"line":"before"');
    await app.log("after");
    await waitFor('"line":"after"');
    // Lines keep coming while it is interrupted: it still stops at once (not by its safety net,
    // which says so on stderr and exits 130).
    let more = 0;
    const flow = setInterval(() => void app.log(`more-${more++}`), 2);
    onTestFinished(() => clearInterval(flow));
    await waitFor('"line":"more-20"');
    child.kill("SIGINT");
    const result = await child;
    clearInterval(flow);
    expect(String(result.stderr)).toBe("");
    expect(result.exitCode).toBe(0);
    const lines = seen()
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as LogEntry).line);
    expect(lines.slice(0, 2)).toEqual(["before", "after"]);
    expect(lines.slice(2)).toEqual(lines.slice(2).map((_, i) => `more-${i}`));
  });

  it("-f ends with the reason and a non-zero exit within 5 s of its token being revoked", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    const config = await configHome();
    await api.operator().createTenant("acme");
    const issued = await api.operator().createToken({ role: "developer", tenant: "acme" });
    await api.operator("acme").setSpaceRole("default", issued.id, "developer");
    await grove(["login", "--api", api.url, "--token", issued.token], { config });
    const app = await runningApp(api, config);
    await app.log("before");
    const { child, waitFor } = follow(config);
    await waitFor('"line":"before"');
    await api.operator().revokeToken(issued.id);
    const deadline = setTimeout(() => child.kill("SIGKILL"), 5_000);
    const result = await child;
    clearTimeout(deadline);
    expect(result.signal).toBeUndefined();
    expect(String(result.stderr).trim()).toBe(
      "grove: revoked token: the stream ended (401 Unauthorized); run grove login",
    );
    expect(result.exitCode).toBe(1);
  });
});
