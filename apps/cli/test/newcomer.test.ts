import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { readdir, readlink, rm, stat } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { describeWith, eventually, freePort, makeTempDir, type TempDir } from "@grove/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { removeLinkedState } from "../../../infra/single-node-state";
import { leftovers } from "./leftovers";

const checkout = join(import.meta.dirname, "../../..");

interface Started {
  child: ChildProcess;
  output: () => string;
  /** how npm start ended: exit 0, or SIGINT passed on as a shell's Ctrl-C does */
  exited: Promise<string>;
}

/**
 * A newcomer's first minutes: a clone of this checkout's HEAD under a fresh private (0700)
 * directory, as `git clone … ~/grove` under /root is, then `npm start` there, and Ctrl-C — at
 * several moments of the first push — leaving nothing behind.
 */
describeWith(
  ["root", "runc", "postgres", "nats", "network"],
  "a newcomer's npm start from a private directory",
  () => {
    let dir: TempDir;
    let clone: string;
    let env: Record<string, string>;
    let bridge: string;
    let routerPort: number;
    const home = () => join(clone, ".grove");

    beforeAll(async () => {
      dir = await makeTempDir("grove-newcomer-");
      expect((await stat(dir.path)).mode & 0o777).toBe(0o700);
      clone = join(dir.path, "grove");
      await execa("git", ["clone", "-q", checkout, clone]);
      // node_modules as the checkout has it (hard links: no copy, no npm ci)
      await execa("cp", ["-al", join(checkout, "node_modules"), join(clone, "node_modules")]).catch(() =>
        execa("cp", ["-a", join(checkout, "node_modules"), join(clone, "node_modules")]),
      );
      const id = randomInt(0, 1 << 20).toString(36);
      bridge = `gnc${id}`.slice(0, 15);
      routerPort = await freePort();
      const { GROVE_HOME: _home, ...inherited } = process.env;
      env = {
        ...(inherited as Record<string, string>),
        GROVE_API_PORT: String(await freePort()),
        GROVE_ROUTER_PORT: String(routerPort),
        GROVE_ROUTER_STATUS_PORT: String(await freePort()),
        // the agent's status port is the router's + 3 unless given: that one was never checked free
        // (another process held it once, and the retry, with the same ports, failed the same way)
        GROVE_STATUS_PORT: String(await freePort()),
        GROVE_POSTGRES_PORT: String(await freePort()),
        GROVE_NATS_PORT: String(await freePort()),
        GROVE_BRIDGE: bridge,
        GROVE_SUBNET: `10.${randomInt(200, 250)}.${randomInt(0, 64) * 4}.0/22`,
        GROVE_PORT_POOL_START: String(30_000 + randomInt(0, 50) * 100),
        GROVE_PORT_POOL_SIZE: "100",
        XDG_CONFIG_HOME: join(dir.path, "config"),
        NO_COLOR: "1",
      };
    }, 300_000);

    afterAll(async () => {
      if (clone) await removeLinkedState(home()).catch(() => {});
      await dir?.remove();
    }, 60_000);

    /** `npm start` in the clone, in a process group of its own, as a terminal runs it. */
    function npmStart(): Started {
      let output = "";
      const child = spawn("npm", ["start"], {
        cwd: clone,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout?.on("data", (d) => {
        output += d;
      });
      child.stderr?.on("data", (d) => {
        output += d;
      });
      const exited = new Promise<string>((resolve) =>
        child.on("exit", (code, signal) => resolve(signal ?? `exit ${code}`)),
      );
      return { child, output: () => output, exited };
    }

    /** Ctrl-C: SIGINT to the whole foreground process group, then what the node left behind. */
    async function ctrlC(started: Started): Promise<{ code: string; left: string[] }> {
      const stateDir = await readlink(join(home(), "state"));
      process.kill(-(started.child.pid as number), "SIGINT");
      const code = await Promise.race([
        started.exited,
        new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 60_000)),
      ]);
      if (code === "hung") {
        process.kill(-(started.child.pid as number), "SIGKILL");
        throw new Error(`npm start did not stop within 60 s:\n${started.output()}`);
      }
      return { code, left: await leftovers({ stateDirs: [dir.path, stateDir], bridge }) };
    }

    async function freshStart(): Promise<Started> {
      await removeLinkedState(home());
      await rm(home(), { recursive: true, force: true });
      return npmStart();
    }

    /** Waits for `condition` while npm start runs; its output is the message if it ends first. */
    async function waitFor(started: Started, condition: () => Promise<boolean>, what: string): Promise<void> {
      await eventually(
        async () => {
          if (started.child.exitCode !== null)
            throw new Error(`npm start ended before ${what}:\n${started.output()}`);
          return (await condition()) || undefined;
        },
        180_000,
        what,
      );
    }

    async function depotEntries(): Promise<string[]> {
      const stateDir = await readlink(join(home(), "state")).catch(() => undefined);
      if (!stateDir) return [];
      const entries = await readdir(join(stateDir, "agent", "depot")).catch(() => []);
      return entries.filter((name) => !name.startsWith(".")); // containers, not the helpers' cache
    }

    it("stops cleanly on Ctrl-C right after the upload of the first push", async () => {
      const started = await freshStart();
      await waitFor(started, async () => started.output().includes("uploaded"), "the upload");
      const { code, left } = await ctrlC(started);
      expect(left).toEqual([]);
      expect(code, started.output()).toMatch(/^(exit 0|SIGINT)$/);
    }, 300_000);

    it("removes the container being created on Ctrl-C while the instance is starting", async () => {
      const started = await freshStart();
      await waitFor(started, async () => (await depotEntries()).length > 0, "a container being created");
      const { code, left } = await ctrlC(started);
      expect(left).toEqual([]);
      expect(code, started.output()).toMatch(/^(exit 0|SIGINT)$/);
    }, 300_000);

    it("serves examples/hello through the router, and Ctrl-C leaves nothing behind", async () => {
      const started = await freshStart();
      await waitFor(started, async () => started.output().includes("Grove is running"), "Grove running");
      expect(started.output()).toMatch(/what postgres and containers reach: \/var\/lib\/grove\/single-node-/);
      expect(await viaRouter(routerPort, "hello.default.grove.localhost")).toContain("Hello from Grove");
      const { code, left } = await ctrlC(started);
      expect(left).toEqual([]);
      expect(code, started.output()).toMatch(/^(exit 0|SIGINT)$/);
    }, 300_000);
  },
);

function viaRouter(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host } }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.setTimeout(5_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}
