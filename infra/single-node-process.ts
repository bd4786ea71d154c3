/**
 * Runs `infra/single-node.ts` (what `npm start` runs) as a child process with its own home, ports,
 * bridge, subnet and CLI config, for the end-to-end test and the push benchmark.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { freePort, makeTempDir, stopChild, waitForOutput } from "@grove/testkit/services";
import { execa } from "execa";
import { nodeArgsFor } from "./bin-entry.mjs";

export interface SingleNode {
  /** the supervisor's pid: postgres, NATS, the api, the agent and the router are its descendants */
  pid: number;
  home: string;
  apiPort: number;
  routerPort: number;
  /** environment for `grove` commands against this node (its own XDG_CONFIG_HOME) */
  env: Record<string, string>;
  /** what the runner printed so far */
  output(): string;
  /** runs the CLI (`apps/cli/bin/grove.js`) against this node */
  grove(args: string[], options?: { reject?: boolean; input?: string }): ReturnType<typeof execa>;
  /** Ctrl-C: stops everything, app containers included, and removes the home dir */
  stop(): Promise<void>;
}

const root = join(import.meta.dirname, "..");

/** `args`: what `npm start -- …` would pass (`--cells 3`) */
export async function startSingleNode(args: string[] = []): Promise<SingleNode> {
  const home = await makeTempDir("gsn-");
  await chmod(home.path, 0o755); // postgres and user-namespaced containers traverse it
  const id = randomInt(0, 1 << 20).toString(36);
  const apiPort = await freePort();
  const routerPort = await freePort();
  const env: Record<string, string> = {
    GROVE_HOME: join(home.path, "grove"),
    GROVE_API_PORT: String(apiPort),
    GROVE_ROUTER_PORT: String(routerPort),
    GROVE_POSTGRES_PORT: String(await freePort()),
    GROVE_NATS_PORT: String(await freePort()),
    // the status servers on any free port: beside the router's port (its +2, +3) they raced other
    // tests' ports (an agent exited with EADDRINUSE)
    GROVE_STATUS_PORT: "0",
    GROVE_ROUTER_STATUS_PORT: "0",
    GROVE_BRIDGE: `gsn${id}`.slice(0, 15),
    GROVE_SUBNET: `10.${randomInt(200, 250)}.${randomInt(0, 64) * 4}.0/22`,
    GROVE_HOSTS_SUBNET: `10.${randomInt(200, 250)}.${randomInt(0, 256)}.0/24`,
    GROVE_PORT_POOL_START: String(30_000 + randomInt(0, 50) * 100),
    GROVE_PORT_POOL_SIZE: "100",
    XDG_CONFIG_HOME: join(home.path, "config"),
    NO_COLOR: "1",
  };
  let output = "";
  const child: ChildProcess = spawn(process.execPath, [...nodeArgsFor("infra/single-node.ts"), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const stop = async () => {
    await stopChild(child, "SIGINT", 120_000);
    await home.remove();
  };
  try {
    await waitForOutput(child, /Grove is running/, 240_000, "npm start");
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pid: child.pid as number,
    home: env.GROVE_HOME as string,
    apiPort,
    routerPort,
    env,
    output: () => output,
    grove: (args, options = {}) =>
      execa(process.execPath, [join(root, "apps/cli/bin/grove.js"), ...args], {
        env: { ...process.env, ...env },
        reject: options.reject ?? true,
        input: options.input,
      }),
    stop,
  };
}
