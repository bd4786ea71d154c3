import { randomBytes } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { containerSpec } from "../bundle/container-spec";
import { cgroupsPathOf, type GardenContext } from "../context";
import type { ContainerRecord } from "../depot/depot";
import { GardenError, InvalidSpec, ServiceUnavailable } from "../errors";
import { launchUnderMonitor } from "../process/launch";
import { readPid } from "../process/process-handle";
import type { ContainerSpec } from "../types";
import { destroyContainer } from "./destroy-container";
import { writeResolvConf } from "./resolv-conf";
import { resolveBindMounts } from "./resolve-bind-mounts";

const handlePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * Creates a container: depot entry (marked "creating"), rootfs, network, bundle, and grove-init
 * running as pid 1, listening for process requests. Anything that fails on the way is undone, so a
 * failed create leaves nothing.
 */
export async function createContainer(context: GardenContext, spec: ContainerSpec): Promise<ContainerRecord> {
  const handle = spec.handle || randomBytes(8).toString("hex");
  if (!handlePattern.test(handle)) throw new InvalidSpec(`invalid handle "${handle}"`, { handle });
  if (spec.privileged && !context.config.allowPrivileged) {
    throw new InvalidSpec("privileged containers are not allowed by this garden", { handle });
  }
  if (!context.networker && (spec.netIn?.length || spec.netOut?.length)) {
    throw new InvalidSpec("netIn/netOut need a networker, and this garden has none", { handle });
  }
  if ((await context.depot.handles()).length >= context.config.maxContainers) {
    throw new ServiceUnavailable(`max containers reached (${context.config.maxContainers})`, { handle });
  }
  const record: ContainerRecord = {
    handle,
    spec: { ...spec, handle },
    phase: "creating",
    privileged: !!spec.privileged,
    createdAtMs: performance.timeOrigin + performance.now(),
    ...(spec.graceTimeNs !== undefined ? { graceTimeNs: spec.graceTimeNs } : {}),
  };
  if (!(await context.depot.reserve(record)))
    throw new InvalidSpec(`Handle '${handle}' already in use`, { handle });
  const logger = context.logger.child({ handle });
  logger.info("create starting");
  context.usage.touch(handle);
  try {
    await buildContainer(context, record);
    logger.info("create finished");
    return record;
  } catch (error) {
    logger.warn({ error: (error as Error).message }, "create failed, undoing");
    await destroyContainer(context, handle).catch((undoError: Error) => {
      logger.error({ error: undoError.message }, "undoing a failed create failed");
    });
    throw error;
  }
}

async function buildContainer(context: GardenContext, record: ContainerRecord): Promise<void> {
  const { handle, spec } = record;
  const uidMapping = record.privileged ? null : context.config.uidMapping;
  const rootfs = await context.volumizer.create({
    handle,
    image: spec.image ?? { uri: "" },
    layers: spec.layers,
    uidMapping,
    diskLimitBytes: spec.limits?.disk?.byteHard,
    diskLimitScope: spec.limits?.disk?.scope ?? "total",
  });
  record.rootfsPath = rootfs.path;
  // Image defaults come first so the container spec's env overrides them.
  record.spec.env = [...(rootfs.env ?? []), ...(spec.env ?? [])];
  await context.depot.writeRecord(record);

  const dir = context.depot.dir(handle);
  const hostsFile = join(dir, "hosts");
  await writeHosts(hostsFile, handle, undefined);
  const resolvConfFile = await writeResolvConf(dir, context.config.dnsServers);
  const bundle = context.depot.bundleDir(handle);
  await mkdir(bundle, { recursive: true, mode: 0o700 });
  const config = containerSpec({
    handle,
    rootfsPath: rootfs.path,
    uidMapping,
    cgroupsPath: cgroupsPathOf(context, handle),
    limits: spec.limits,
    bindMounts: await resolveBindMounts(spec.bindMounts, context.config.bindMountSourceRoots, rootfs.path),
    env: record.spec.env,
    initBinary: context.initBinary,
    hostsFile,
    ...(resolvConfFile ? { resolvConfFile } : {}),
  });
  await writeFile(join(bundle, "config.json"), JSON.stringify(config, null, 2), { mode: 0o600 });

  const initDir = context.depot.initDir(handle);
  await mkdir(initDir, { recursive: true });
  const logPath = context.depot.runtimeLog(handle);
  // Without a network to wire between create and start, one `run --detach` does both.
  const networked = Boolean(context.networker);
  await launchUnderMonitor({
    monitorBinary: context.monitorBinary,
    outputCapBytes: context.config.outputCapBytes,
    dir: initDir,
    start: {
      runtimeArgv: context.runtime.argv(
        logPath,
        networked ? "create" : "run",
        ...(networked ? [] : ["--detach"]),
        "--preserve-fds",
        "1",
        "--bundle",
        bundle,
        "--pid-file",
        join(initDir, "pid"),
        handle,
      ),
      logPath,
      listenForInit: true,
    },
    operation: networked ? "runtime create" : "runtime run",
  });
  if (context.networker) {
    // The runtime made the network namespace inside the container's user namespace; the
    // networker wires that one (see Networker.up) before the container starts.
    const initPid = await readPid(initDir);
    const netnsPath = `/proc/${initPid}/ns/net`;
    record.network = await context.networker.up(handle, {
      ...(spec.network ? { network: spec.network } : {}),
      netnsPath,
    });
    await context.depot.writeRecord(record);
    await ensureSameNamespace(netnsPath, record.network.netnsPath, handle);
    await writeHosts(hostsFile, handle, record.network.containerIP);
  }
  if (networked) await context.runtime.start(handle, logPath);

  if (context.networker) {
    for (const wanted of spec.netIn ?? []) {
      const mapping = await context.networker.netIn(handle, wanted.hostPort, wanted.containerPort);
      if (record.network) record.network.mappedPorts = [...record.network.mappedPorts, mapping];
    }
    if (spec.netOut?.length) await context.networker.netOut(handle, spec.netOut);
  }
  record.phase = "created";
  await context.depot.writeRecord(record);
}

/** Rewritten in place (same inode), so the bind mount in a created container sees the address. */
async function writeHosts(path: string, handle: string, containerIP: string | undefined): Promise<void> {
  const own = containerIP || "127.0.1.1";
  await writeFile(path, `127.0.0.1 localhost\n::1 localhost ip6-localhost\n${own} ${handle}\n`, {
    mode: 0o644,
  });
}

/** A networker that made a namespace of its own would leave the container with loopback only. */
async function ensureSameNamespace(expected: string, actual: string, handle: string): Promise<void> {
  const [want, got] = await Promise.all([stat(expected), stat(actual).catch(() => undefined)]);
  if (got?.ino !== want.ino || got?.dev !== want.dev) {
    throw new GardenError(
      `the networker wired ${actual}, not the container's namespace ${expected}: it must adopt Networker.up's netnsPath`,
      { handle },
    );
  }
}
