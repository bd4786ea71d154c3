import { chmod, readdir, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createGarden, createNetworker, type Garden, type GardenConfig } from "@grove/garden";
import { createImages } from "@grove/images";
import {
  canRun,
  createTestNetwork,
  makeTempDir,
  runId,
  type TestHost,
  type TestNetwork,
} from "@grove/testkit";
import pino from "pino";
import { createGardenServer, type GardenServer } from "../src/server";
import type { Address } from "./wire-client";

/** Root, runc and the CNI plugins; under CI=true their absence fails the run instead of skipping. */
export const runtimeAvailable = canRun(["root", "runc", "network"]);

const log = pino({ level: process.env.GROVE_LOG_LEVEL ?? "silent" });
let counter = 0;

/**
 * A real Garden stack for one test file: runc containers (own depot, runc root, cgroup parent),
 * @grove/images rootfs, a CNI networker living in its own "cell host" network namespace, and the
 * wire server on a unix socket in a temp dir. `restart()` stops server and runtime and starts
 * new ones on the same depot, as a process restart would.
 */
export interface ServerStack {
  address: Address;
  garden: Garden;
  /** the cell host namespace the networker lives in (only with networking) */
  host: TestHost | undefined;
  dir: string;
  restart(): Promise<void>;
  /** stops server and runtime only (containers keep running) */
  stop(): Promise<void>;
  /** destroys every container and removes everything the stack made, even after failures */
  cleanup(): Promise<void>;
}

export async function startServerStack(options: { networking?: boolean } = {}): Promise<ServerStack> {
  counter += 1;
  const temp = await makeTempDir("ggs-");
  // The user-namespaced container root must be able to reach rootfs and bundle files.
  await chmod(temp.path, 0o755);
  const network: TestNetwork | undefined = options.networking ? await createTestNetwork() : undefined;
  const host = await network?.addHost();
  const name = `gs${runId.slice(1)}${counter}`;
  const config: GardenConfig = {
    depotDir: join(temp.path, "depot"),
    runtimeRoot: join(temp.path, "runc"),
    cgroupParent: `grove-gs-${runId}-${counter}`,
    binDir: join("/tmp", `grove-monitor-bin-${process.getuid?.() ?? 0}`),
    // tests make host bind-mount sources here
    bindMountSourceRoots: [join(temp.path, "shared")],
    logger: log,
  };
  const images = createImages({ storeDir: join(temp.path, "images") });
  const networker =
    host &&
    createNetworker({
      stateDir: join(temp.path, "network"),
      bridge: `${name}br`,
      subnet: `10.${200 + (Number.parseInt(runId.slice(1, 3), 16) % 50)}.${counter * 4}.0/22`,
      name,
      externalIP: host.address,
      hostNetns: host.netnsPath,
      log,
    });
  const seams = { volumizer: images, ...(networker ? { networker } : {}) };
  const socketPath = join(temp.path, "garden.sock");

  let garden: Garden | undefined;
  let server: GardenServer | undefined;
  const start = async () => {
    garden = await createGarden(config, seams);
    server = createGardenServer({ garden, log, streamLingerMs: 5_000 });
    await server.listen({ socketPath });
  };
  const stop = async () => {
    await server?.close();
    await garden?.close();
    server = undefined;
  };
  await start();

  const stack: ServerStack = {
    address: { socketPath },
    get garden() {
      if (!garden) throw new Error("stack is stopped");
      return garden;
    },
    host,
    dir: temp.path,
    async restart() {
      await stop();
      await start();
    },
    stop,
    async cleanup() {
      await stop().catch(() => {});
      // A fresh runtime on the depot sees every container, also ones a failed test left behind.
      const sweeper = await createGarden(config, seams).catch(() => undefined);
      if (sweeper) {
        for (const container of await sweeper.containers({}, { includeIncomplete: true }).catch(() => [])) {
          await sweeper.destroy(container.handle).catch(() => {});
        }
        await sweeper.close().catch(() => {});
      }
      await networker?.destroyAll().catch(() => {});
      await network?.remove().catch(() => {});
      await removeCgroupParent(config.cgroupParent);
      await temp.remove().catch(async () => {
        await sleep(200);
        await rm(temp.path, { recursive: true, force: true });
      });
    },
  };
  return stack;
}

export { eventually } from "@grove/testkit/services";

/** Removes the (by now empty) cgroup parent from every hierarchy; a missing one is fine. */
async function removeCgroupParent(parent: string): Promise<void> {
  const roots = await readdir("/sys/fs/cgroup").catch(() => [] as string[]);
  for (const root of roots) await rmdir(join("/sys/fs/cgroup", root, parent)).catch(() => {});
}
