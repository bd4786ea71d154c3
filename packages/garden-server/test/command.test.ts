import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, readdir, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestNetwork, makeTempDir, runId, type TestHost, type TestNetwork } from "@grove/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, runtimeAvailable } from "./harness";
import { attach, request, run } from "./wire-client";

const bin = fileURLToPath(new URL("../bin/grove-garden.js", import.meta.url));

/** Runs grove-garden to completion (flag errors, --help, cleanup), in a network namespace if given. */
function runCommand(
  args: string[],
  netnsPath?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = netnsPath
      ? spawn("nsenter", [`--net=${netnsPath}`, process.execPath, bin, ...args])
      : spawn(process.execPath, [bin, ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("grove-garden flags", () => {
  it("prints usage for --help and fails with one line naming a bad flag", async () => {
    const help = await runCommand(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--bind-socket PATH/);
    const bad = await runCommand(["--depot", "/tmp/x", "--bind-port", "nope"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/^grove-garden: --bind-port: /);
    const unknown = await runCommand(["--depot", "/tmp/x", "--frobnicate"]);
    expect(unknown.stderr).toBe("grove-garden: unknown flag --frobnicate\n");
  });
});

describe.runIf(runtimeAvailable)("grove-garden command on the real runtime", () => {
  let network: TestNetwork;
  let host: TestHost;
  let dir: string;
  let removeDir: () => Promise<void>;
  let child: ChildProcess | undefined;
  const name = `gc${runId.slice(1)}`;
  const cgroupParent = `grove-gc-${runId}`;
  const socketPath = () => join(dir, "garden.sock");

  const pool = `10.${200 + (Number.parseInt(runId.slice(1, 3), 16) % 50)}.60.0/22`;
  /** The flags every start (and cleanup) of this test's grove-garden shares. */
  const flags = () => [
    "--bind-socket",
    socketPath(),
    "--depot",
    join(dir, "depot"),
    "--state-dir",
    join(dir, "state"),
    "--cgroup-parent",
    cgroupParent,
    "--network-name",
    name,
    "--bridge",
    `${name}br`,
    "--network-pool",
    pool,
    "--external-ip",
    host.address,
    "--default-grace-time",
    "0",
  ];

  /** Starts the command inside the test's cell-host namespace, so bridge and rules live there. */
  async function startCommand(extra: string[] = []): Promise<ChildProcess> {
    const started = spawn("nsenter", [
      `--net=${host.netnsPath}`,
      process.execPath,
      bin,
      ...flags(),
      ...extra,
    ]);
    let output = "";
    started.stdout?.on("data", (d: Buffer) => (output += d));
    started.stderr?.on("data", (d: Buffer) => (output += d));
    await eventually(
      async () => {
        if (started.exitCode !== null) throw new Error(`grove-garden exited early: ${output}`);
        return output.includes("grove-garden serving");
      },
      60_000,
      "grove-garden to serve",
    );
    return started;
  }

  function stopCommand(target: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
      if (target.exitCode !== null) return resolve(target.exitCode);
      target.once("exit", (code) => resolve(code));
      target.kill("SIGTERM");
    });
  }

  beforeAll(async () => {
    const temp = await makeTempDir("ggc-");
    dir = temp.path;
    removeDir = temp.remove;
    await chmod(dir, 0o755);
    network = await createTestNetwork();
    host = await network.addHost();
  });

  afterAll(async () => {
    if (child) await stopCommand(child);
    // One more start destroys whatever a failed test left, through the API itself.
    const sweeper = await startCommand().catch(() => undefined);
    if (sweeper) {
      const address = { socketPath: socketPath() };
      const listed = await request(address, "GET", "/containers", { query: { "garden.state": "all" } }).catch(
        () => undefined,
      );
      for (const handle of listed?.json<{ Handles: string[] }>().Handles ?? []) {
        await request(address, "DELETE", `/containers/${handle}`).catch(() => {});
      }
      await stopCommand(sweeper);
    }
    await network?.remove().catch(() => {});
    for (const root of await readdir("/sys/fs/cgroup").catch(() => [] as string[])) {
      await rmdir(join("/sys/fs/cgroup", root, cgroupParent)).catch(() => {});
    }
    await removeDir?.().catch(() => rm(dir, { recursive: true, force: true }));
  });

  it("serves the API on its socket and /debug/vars on its debug address, and a SIGTERM leaves containers and processes running", async () => {
    // the debug server on the namespace's own loopback, where nothing else binds
    child = await startCommand(["--debug-bind-ip", "127.0.0.1", "--debug-bind-port", "17013"]);
    const address = { socketPath: socketPath() };
    expect((await request(address, "GET", "/ping")).text).toBe("{}\n");
    const vars = await host.exec("curl", ["-sf", "http://127.0.0.1:17013/debug/vars"]);
    const doc = JSON.parse(String(vars.stdout)) as { cmdline: string[]; memstats: Record<string, number> };
    expect(doc.cmdline).toContain("--debug-bind-port");
    expect(doc.memstats.Alloc).toBeGreaterThan(0);
    const created = await request(address, "POST", "/containers", {
      json: { handle: "cmd", image: {}, limits: {}, properties: { via: "command" } },
    });
    expect(created.status, created.text).toBe(200);
    const first = await run(address, "cmd", { path: "sh", args: ["-c", "echo up; read x; echo bye:$x"] });
    await eventually(async () => first.stdoutSoFar().includes("up"), 10_000, "the process to start");

    expect(await stopCommand(child)).toBe(0);
    child = await startCommand();

    const info = (await request(address, "GET", "/containers/cmd/info")).json<Record<string, unknown>>();
    expect(info).toMatchObject({ State: "active", Properties: { via: "command" } });
    const again = await attach(address, "cmd", first.processId);
    again.sendStdin("later\n");
    expect((await again.stdout).toString()).toBe("up\nbye:later\n");
    expect((await again.exit).exit_status).toBe(0);
    expect((await request(address, "DELETE", "/containers/cmd")).text).toBe("{}\n");
    expect(await stopCommand(child)).toBe(0);
    child = undefined;
  });

  it("refuses to start on a pool another interface already routes, naming the interface", async () => {
    const other = `gco${runId.slice(1, 9)}`;
    await host.exec("ip", ["link", "add", other, "type", "bridge"]);
    try {
      await host.exec("ip", ["link", "set", other, "up"]);
      await host.exec("ip", ["route", "add", pool.replace(/\.0\/22$/, ".0/24"), "dev", other]);
      const refused = await runCommand(flags(), host.netnsPath);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`subnet ${pool} is already routed through ${other}`);
    } finally {
      await host.exec("ip", ["link", "delete", other]);
    }
  });

  it("cleanup destroys the containers, removes the bridge, the nft tables and the depot", async () => {
    child = await startCommand();
    const address = { socketPath: socketPath() };
    const created = await request(address, "POST", "/containers", {
      json: { handle: "left", image: {}, limits: {} },
    });
    expect(created.status, created.text).toBe(200);
    expect(await stopCommand(child)).toBe(0);
    child = undefined;
    const bridgeExists = () =>
      host.exec("ip", ["link", "show", "dev", `${name}br`]).then(
        () => true,
        () => false,
      );
    expect(await bridgeExists()).toBe(true);

    const cleaned = await runCommand(["cleanup", ...flags()], host.netnsPath);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(await bridgeExists()).toBe(false);
    expect(String((await host.exec("nft", ["list", "tables"])).stdout)).not.toContain(name);
    expect(existsSync(join(dir, "depot"))).toBe(false);
    expect(existsSync(join(dir, "state"))).toBe(false);
  });
});
