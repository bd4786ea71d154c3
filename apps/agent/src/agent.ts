import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Garden } from "@grove/garden";
import { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS } from "@grove/images/archive";
import { cellInboxPrefix, type NatsAccess, natsConnectOptions } from "@grove/nats-auth";
import {
  CellCommand,
  CellHeartbeat,
  CellStateSync,
  CellStateSyncReply,
  CommandReply,
  decode,
  encode,
  MAX_START_BATCH,
  type RefusedStart,
  type Resources,
  subjects,
} from "@grove/protocol";
import { jetstream } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { connect, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { BitsCache } from "./bits-cache";
import { CellNames } from "./dns/cell-names";
import { CellDnsServer } from "./dns/server";
import { UpstreamResolvers } from "./dns/upstream";
import { ExecSessions } from "./exec-sessions";
import { type CellIdentity, loadOrJoin } from "./identity";
import { InstanceEventPublisher } from "./instance-events";
import { CommandFailed, InstanceManager, type InstanceManagerDeps } from "./instances";
import { mayPublishTenantLogs, publishLogLine, shipLines } from "./log-shipper";
import { AgentMetrics } from "./metrics";
import { NetworkPolicyEnforcer, type SetPolicy } from "./network-policy";
import { OverlayPeers, type SetRemoteSubnets } from "./overlay-peers";
import { PolicyPuller } from "./policy-pull";
import { SealKey } from "./seal-key";
import { UsageSampler } from "./usage-sampler";
import type { VolumeStore } from "./volume-store";
import { VolumeTransfers } from "./volume-transfers";

/** The JetStream object store bucket holding app bits by digest (written by the api). */
export const BITS_BUCKET = "grove-bits";

export interface AgentOptions {
  /** where NATS is; its credentials are the bootstrap `join` user, used only to join */
  nats: NatsAccess;
  garden: Garden;
  stateDir: string;
  joinToken?: string;
  cell: {
    name: string;
    address: string;
    zone: string;
    tags: string[];
    stacks: string[];
    capacity: Resources;
  };
  /** read-only layers each stack adds on the busybox base; `cell.stacks` lists the stacks offered */
  stackLayers(stack: string): Promise<string[]>;
  /** fetches a docker app's image ahead of its container, telling bytes of the total (the cell runtime's) */
  pullImage?: InstanceManagerDeps["pullImage"];
  /** enforces the network policy the api sends (the cell runtime's peer rules and egress) */
  setPolicy: SetPolicy;
  /** DNS servers the cell's containers may query (their only default egress) */
  resolvers?: string[];
  /**
   * The cell's resolver: answers app-internal names at `address` (the bridge's, the containers'
   * nameserver) and forwards the rest to `upstreams`. Absent: containers keep their images' DNS.
   */
  dns?: { address: string; port?: number; upstreams: string[] };
  /** the cell's volumes (opened and reattached before the agent starts) */
  volumes: VolumeStore;
  /** routes the other cells' container subnets (the cell runtime's overlay); absent without a lease */
  setRemoteSubnets?: SetRemoteSubnets;
  /** the container subnet the cell's network runs on, reported at each sync to keep its lease */
  subnet?: string;
  heartbeatMs?: number;
  /** how long an instance event waits for others to share its message (default `EVENT_LINGER_MS`) */
  eventLingerMs?: number;
  /** containers made at once and torn down at once, each in its own lane (default 3 each) */
  startsAtOnce?: number;
  teardownsAtOnce?: number;
  /**
   * while an image pull moves on, a heartbeat carrying its progress goes out this soon after the
   * last one instead of waiting for the next beat (default 1 s)
   */
  pullProgressMs?: number;
  /** what app bits may hold; must match the api's (default DEFAULT_ARCHIVE_LIMITS) */
  archiveLimits?: ArchiveLimits;
  /** unpacked bits past this size are removed, least recently used first (default 10 GiB) */
  bitsCacheMaxBytes?: number;
  /** where the agent counts what it does (the status server's /metrics); default: a registry of its own */
  metrics?: AgentMetrics;
  log: Logger;
}

export interface RunningAgent {
  identity: CellIdentity;
  /** the connection as the cell's own NATS user */
  nats: NatsConnection;
  instances: InstanceManager;
  metrics: AgentMetrics;
  /** why the agent cannot take commands now (NATS down), or undefined */
  notReady(): string | undefined;
  /** stops loops and subscriptions; containers keep running */
  close(): Promise<void>;
}

/**
 * The cell's identity, joining the cluster with the join token on the first start (the lease of its
 * container subnet comes with it). The cell runtime is made after this, on the leased subnet.
 */
export async function joinCluster(
  options: Pick<AgentOptions, "nats" | "stateDir" | "cell" | "joinToken">,
): Promise<CellIdentity & { joined: boolean }> {
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  return loadOrJoin(
    options.nats,
    options.stateDir,
    () => ({
      hostname: options.cell.name,
      address: options.cell.address,
      zone: options.cell.zone,
      capacity: options.cell.capacity,
      tags: options.cell.tags,
      stacks: options.cell.stacks,
    }),
    options.joinToken,
  );
}

/**
 * Starts a cell agent: joins (or reuses its stored identity), re-adopts the containers it ran
 * before a restart, reports a full state sync, heartbeats, and carries out start/stop commands.
 */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { garden, stateDir } = options;
  const identity = await joinCluster(options);
  const log = options.log.child({ component: "agent", cellId: identity.cellId });
  log.info({ joined: identity.joined }, "cell identity ready");
  const nats = await connect({
    ...(await natsConnectOptions({ url: options.nats.url, caFile: options.nats.caFile })),
    authenticator: jwtAuthenticator(identity.natsJwt, new TextEncoder().encode(identity.natsSeed)),
    inboxPrefix: cellInboxPrefix(identity.cellId),
    name: `grove-agent-${options.cell.name}`,
    maxReconnectAttempts: -1,
  });
  const logPublisher = {
    cellId: identity.cellId,
    legacySubjects: !mayPublishTenantLogs(identity.natsJwt, identity.cellId),
  };
  if (logPublisher.legacySubjects)
    log.info("this cell's NATS user predates tenant log subjects: older ones used");
  const metrics = options.metrics ?? new AgentMetrics();
  let natsUp = true;
  void (async () => {
    for await (const status of nats.status()) {
      if (status.type === "disconnect") natsUp = false;
      else if (status.type === "reconnect") natsUp = true;
    }
  })();
  const natsConnected = () => natsUp && !nats.isClosed();

  const js = jetstream(nats);
  const events = new InstanceEventPublisher(
    js,
    identity,
    log,
    options.eventLingerMs === undefined ? {} : { lingerMs: options.eventLingerMs },
  );
  const bits = new BitsCache({
    dir: join(stateDir, "bits"),
    store: () => new Objm(nats).open(BITS_BUCKET),
    limits: options.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS,
    maxBytes: options.bitsCacheMaxBytes ?? 10 * 1024 ** 3,
    inUse: () => instances.details().flatMap((detail) => (detail.bitsDigest ? [detail.bitsDigest] : [])),
    log: log.child({ component: "agent.bits" }),
  });
  /** set once heartbeats run: a pull moved on, so its progress goes out soon */
  let pullMoved = () => {};
  const pullImage: InstanceManagerDeps["pullImage"] =
    options.pullImage &&
    ((image, onProgress) => {
      let bytes = 0;
      return AgentMetrics.timed(
        () =>
          options.pullImage?.(image, (progress) => {
            bytes = progress.bytes;
            onProgress(progress);
            pullMoved();
          }) ?? Promise.resolve(),
        (outcome, seconds) => {
          metrics.imagePulls.inc({ outcome });
          metrics.imagePullBytes.inc(bytes);
          metrics.imagePullDuration.observe(seconds);
        },
      );
    });
  const sealKey = await SealKey.load(stateDir);
  const instances: InstanceManager = new InstanceManager({
    garden,
    openCredentials: (sealed) => sealKey.open(sealed),
    bits,
    events,
    cellAddress: options.cell.address,
    stackLayers: options.stackLayers,
    ...(pullImage ? { pullImage } : {}),
    volumes: options.volumes,
    shipLogs: (source, stream, readable, skip, gate) =>
      shipLines(nats, logPublisher, source, stream, readable, skip, gate),
    logNotice: (source, line) => void publishLogLine(nats, logPublisher, source, "stderr", line),
    ...(options.startsAtOnce ? { startsAtOnce: options.startsAtOnce } : {}),
    ...(options.teardownsAtOnce ? { teardownsAtOnce: options.teardownsAtOnce } : {}),
    log,
  });

  const policy = new PolicyPuller({
    nats,
    cellId: identity.cellId,
    enforcer: new NetworkPolicyEnforcer(
      (policy) =>
        AgentMetrics.timed(
          () => options.setPolicy(policy),
          (outcome, seconds) => {
            metrics.policyApplies.inc({ outcome });
            metrics.policyApplyDuration.observe(seconds);
          },
        ),
      options.resolvers ?? [],
      log,
    ),
    log,
  });
  const peers = new OverlayPeers(options.setRemoteSubnets, identity.network, log);
  const names = new CellNames(join(stateDir, "internal-names.json"), log);
  await names.load();

  const offsetsFile = join(stateDir, "log-offsets.json");
  const adopted = await instances.adopt(await readJson(offsetsFile, {}));
  if (adopted > 0) log.info({ adopted }, "re-adopted running instances");

  let dns: CellDnsServer | undefined;
  if (options.dns) {
    const upstream = new UpstreamResolvers(options.dns.upstreams);
    dns = new CellDnsServer({
      address: options.dns.address,
      ...(options.dns.port !== undefined ? { port: options.dns.port } : {}),
      names: names.table,
      tenantOf: (address) => instances.tenantOf(address),
      forward: (message, transport) => upstream.forward(message, transport),
      log,
    });
    await dns.start();
  }

  const available = (): Resources => {
    const used = instances.used();
    const c = options.cell.capacity;
    return {
      memoryMb: Math.max(0, c.memoryMb - used.memoryMb),
      diskMb: Math.max(0, c.diskMb - used.diskMb),
      containers: Math.max(0, c.containers - used.containers),
    };
  };

  const commands = nats.subscribe(subjects.commands(identity.cellId), {
    callback: (error, msg) => {
      if (error) return;
      const decoded = decode(CellCommand, msg.data, msg.subject);
      const reply = (body: {
        ok: boolean;
        duplicate?: boolean;
        error?: string;
        refused?: RefusedStart[];
      }) => {
        msg.respond(encode(CommandReply, { v: 1, ...body }));
      };
      if (!decoded.ok) {
        reply({ ok: false, error: decoded.error.message });
        return;
      }
      const { command } = decoded.value;
      const counted = (outcome: string) => {
        metrics.commands.inc({ type: command.type, outcome });
        metrics.commandDuration.observe({ type: command.type }, (performance.now() - arrived) / 1000);
      };
      const arrived = performance.now();
      const run = carryOut(command);
      run.then(
        (result) => {
          counted(result.duplicate ? "duplicate" : "ok");
          reply({
            ok: true,
            duplicate: result.duplicate,
            ...(result.refused?.length ? { refused: result.refused } : {}),
          });
        },
        (err: Error) => {
          if (!(err instanceof CommandFailed)) log.error({ err }, "command failed unexpectedly");
          counted("failed");
          reply({ ok: false, error: err.message });
        },
      );
    },
  });

  function carryOut(
    command: CellCommand["command"],
  ): Promise<{ duplicate: boolean; refused?: RefusedStart[] }> {
    switch (command.type) {
      case "start-instance":
        return instances.start(command);
      case "start-instances":
        // taken at once: how each start goes is told by its instance events
        return Promise.resolve({ duplicate: false, ...instances.startMany(command.starts) });
      case "stop-instance":
        return instances.stop(command);
      case "remove-volume":
        return removeVolume(command.volumeId);
      case "apply-peers":
        return peers.apply(command);
      case "apply-names":
        return names.apply(command);
    }
  }

  /** Frees a deleted volume's space; refused while an instance here mounts it (the api retries). */
  async function removeVolume(volumeId: string): Promise<{ duplicate: boolean }> {
    const holders = instances.mounting(volumeId);
    if (holders.length > 0)
      throw new CommandFailed(`volume ${volumeId} is mounted by instance ${holders.join(", ")}`);
    const present = options.volumes.held().includes(volumeId);
    await options.volumes.remove(volumeId);
    return { duplicate: !present };
  }

  const execs = new ExecSessions({
    nats,
    cellId: identity.cellId,
    execTarget: (instanceId) => instances.execTarget(instanceId),
    stateDir: join(stateDir, "execs"),
    log,
  });
  const restoredExecs = await execs.restore();
  if (restoredExecs > 0) log.info({ execs: restoredExecs }, "took up running execs");
  execs.listen();

  const transfers = new VolumeTransfers({
    nats,
    cellId: identity.cellId,
    volumes: options.volumes,
    mounting: (volumeId) => instances.mounting(volumeId),
    dir: join(stateDir, "volume-transfers"),
    log: log.child({ component: "agent.volumes" }),
  });
  await transfers.listen();

  const usage = new UsageSampler(garden);
  const withContainers = () =>
    instances
      .details()
      .filter((detail) => detail.state === "STARTING" || detail.state === "RUNNING")
      .map((detail) => detail.instanceId);
  const usageOf = (instanceId: string) => {
    const sampled = usage.latest(instanceId);
    const dropped = instances.logLinesDropped(instanceId);
    return sampled && dropped !== undefined ? { ...sampled, logLinesDropped: dropped } : sampled;
  };
  const sampleUsage = () =>
    void usage.sample(withContainers()).catch((err) => log.warn({ err }, "usage not sampled"));
  sampleUsage();
  const sampling = setInterval(sampleUsage, options.heartbeatMs ?? 5_000);

  await syncState();
  // after the sync: the slice then names this cell's containers as the api now knows them
  policy.start();
  let seq = 0;
  metrics.watch({
    instanceStates: () => instances.details().map((detail) => detail.state),
    containers: () => instances.used().containers,
    volumes: () => options.volumes.held().length,
    natsConnected,
    queued: () => instances.queued(),
  });
  let lastBeatAt = 0;
  let earlyBeat: NodeJS.Timeout | undefined;
  const beat = () => {
    clearTimeout(earlyBeat);
    earlyBeat = undefined;
    lastBeatAt = Date.now();
    seq += 1;
    try {
      sendHeartbeat();
      metrics.heartbeats.inc({ outcome: "sent" });
    } catch (err) {
      metrics.heartbeats.inc({ outcome: "failed" });
      log.warn({ err }, "heartbeat not sent");
    }
  };
  const heartbeat = setInterval(beat, options.heartbeatMs ?? 5_000);
  // pull progress reaches `grove push` at this rhythm, not only at the next regular beat
  const pullProgressMs = options.pullProgressMs ?? 1_000;
  pullMoved = () => {
    earlyBeat ??= setTimeout(beat, Math.max(0, lastBeatAt + pullProgressMs - Date.now()));
  };
  const sendHeartbeat = () =>
    nats.publish(
      subjects.heartbeat(identity.cellId),
      encode(CellHeartbeat, {
        v: 2,
        cellId: identity.cellId,
        seq,
        at: new Date().toISOString(),
        capacity: options.cell.capacity,
        available: available(),
        instances: instances.details().map(({ instanceId, appId, revision, index, state }) => ({
          instanceId,
          appId,
          revision,
          index,
          state,
          usage: usageOf(instanceId),
          pull: instances.pullOf(instanceId),
        })),
        volumes: options.volumes.held(),
        sealKey: sealKey.publicKey,
        maxStartBatch: MAX_START_BATCH,
      }),
    );
  // one write at a time, never a crash: a write slower than the interval (a loaded disk) is skipped
  let savingOffsets: Promise<void> | undefined;
  const saveOffsets = setInterval(() => {
    savingOffsets ??= writeJson(offsetsFile, instances.logOffsets())
      .catch((err: unknown) => log.warn({ err }, "log offsets not saved"))
      .finally(() => {
        savingOffsets = undefined;
      });
  }, 2_000);

  async function syncState(): Promise<void> {
    const body = encode(CellStateSync, {
      v: 2,
      cellId: identity.cellId,
      syncId: crypto.randomUUID(),
      at: new Date().toISOString(),
      ...(options.subnet ? { subnet: options.subnet } : {}),
      capacity: options.cell.capacity,
      available: available(),
      instances: instances.details(),
      volumes: options.volumes.held(),
      sealKey: sealKey.publicKey,
      maxStartBatch: MAX_START_BATCH,
    });
    try {
      const answer = await nats.request(subjects.stateSync(identity.cellId), body, { timeout: 10_000 });
      const reply = decode(CellStateSyncReply, answer.data);
      if (!reply.ok || !reply.value.ok) log.warn({ reply }, "state sync not accepted");
      // an api that takes batches of instance events says so (an older one: each event alone)
      else events.batchUpTo(reply.value.maxEventBatch ?? 1);
    } catch (error) {
      log.warn({ err: (error as Error).message }, "state sync not answered; heartbeats carry the state");
    }
  }

  return {
    identity,
    nats,
    instances,
    metrics,
    notReady: () => (natsConnected() ? undefined : "nats disconnected"),
    async close() {
      clearInterval(heartbeat);
      clearTimeout(earlyBeat);
      pullMoved = () => {};
      clearInterval(sampling);
      clearInterval(saveOffsets);
      commands.unsubscribe();
      transfers.close();
      await policy.close();
      await dns?.close();
      execs.close();
      await instances.close();
      await savingOffsets;
      await writeJson(offsetsFile, instances.logOffsets());
      // NATS may be gone already (Ctrl-C reaches the whole single node at once)
      await Promise.race([events.flushed(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      events.close();
      await nats.drain().catch(() => {});
    },
  };
}

async function readJson<T>(path: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return fallback;
  }
}

let writes = 0;

async function writeJson(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.${++writes}.tmp`;
  await writeFile(temporary, JSON.stringify(value));
  await rename(temporary, path);
}
