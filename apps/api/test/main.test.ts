import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describeWith, freePort, it, stopChild, waitForOutput } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { eventually } from "./harness";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

describeWith(["root", "postgres", "nats"], "grove-api process", () => {
  it("migrates, serves HTTP with the bootstrap token, and exits 0 on SIGTERM", async ({ pg, nats }) => {
    // a name of its own per attempt: a retry must not meet the first attempt's database
    const databaseUrl = await pg.createDatabase(`main_smoke_${Date.now()}`);
    const port = await freePort();
    // node itself, not the tsx CLI: tsx relays a signal and SIGKILLs the child (exit 143) unless the
    // child confirms it within 30 ms, which a loaded machine misses
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        ...nats.env("api"),
        GROVE_API_PORT: String(port),
        GROVE_BOOTSTRAP_TOKEN: "smoke-operator-token-123456",
        GROVE_LOG_LEVEL: "info",
        GROVE_DEFAULT_TENANT: "default",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    onTestFinished(() => stopChild(child, "SIGKILL"));
    await waitForOutput(child, /api listening/, 30_000, "grove-api");
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined));
    const tenant = await fetch(`${base}/v1/tenants/default`, {
      headers: { authorization: "Bearer smoke-operator-token-123456" },
    });
    expect(tenant.status).toBe(200);
    // the default tenant comes with its default space
    const spaces = await fetch(`${base}/v1/spaces`, {
      headers: { authorization: "Bearer smoke-operator-token-123456", "x-grove-tenant": "default" },
    });
    expect(((await spaces.json()) as { items: { name: string }[] }).items.map((s) => s.name)).toEqual([
      "default",
    ]);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses to start with a bad configuration, naming the variable", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: {
        ...process.env,
        DATABASE_URL: "mysql://nope",
        NATS_URL: "nats://127.0.0.1:1",
        GROVE_API_ROLES: "http,scheduler",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toContain("DATABASE_URL");
    expect(stderr).toContain('GROVE_API_ROLES: "http,scheduler": must be http, leader or http,leader');
  });
});
