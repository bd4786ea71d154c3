import { join } from "node:path";
import { DEFAULT_UID_MAPPING, gatewayOf } from "@grove/garden";
import { cellName, createCellRuntime, createGardenServer, STACKS } from "@grove/garden-server";
import { VCAP_ID } from "@grove/images";
import { archiveLimitsOf } from "@grove/images/archive";
import { serveStatus } from "@grove/services/status-server";
import { pino } from "pino";
import { joinCluster, startAgent } from "./agent";
import { parseAgentConfig } from "./config";
import { AgentMetrics } from "./metrics";
import { cellResolvers } from "./resolvers";
import { VolumeStore } from "./volume-store";

async function main(): Promise<void> {
  const config = parseAgentConfig(process.env);
  const log = pino({ level: config.GROVE_LOG_LEVEL });
  // up first, so /livez answers while the cell joins (which waits for the api) and reattaches volumes
  const metrics = new AgentMetrics({ defaultMetrics: true });
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  const status = await serveStatus(
    {
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        text: await metrics.registry.metrics(),
      }),
      notReady: async () => (agent ? agent.notReady() : "not joined and running yet"),
    },
    config.GROVE_STATUS_HOST,
    config.GROVE_STATUS_PORT,
  ).catch((error: Error) => {
    throw new Error(
      `status port ${config.GROVE_STATUS_HOST}:${config.GROVE_STATUS_PORT} (GROVE_STATUS_PORT): ${error.message}`,
    );
  });
  log.info({ statusPort: status.port }, "agent status listening");
  // volumes live under the state dir; after a restart or reboot their loop devices are attached
  // and mounted again before any container that mounts them is touched
  const volumes = new VolumeStore({
    dir: join(config.GROVE_STATE_DIR, "volumes"),
    ownerId: DEFAULT_UID_MAPPING.hostId + VCAP_ID,
    log: log.child({ component: "volumes" }),
  });
  await volumes.open();
  await volumes.reattach();
  const cell = {
    name: config.GROVE_CELL_NAME,
    address: config.GROVE_CELL_ADDRESS,
    zone: config.GROVE_CELL_ZONE,
    tags: config.GROVE_CELL_TAGS,
    stacks: [...STACKS],
    capacity: {
      memoryMb: config.GROVE_CELL_MEMORY_MB,
      diskMb: config.GROVE_CELL_DISK_MB,
      containers: config.GROVE_CELL_MAX_CONTAINERS,
    },
  };
  const nats = { url: config.NATS_URL, caFile: config.GROVE_NATS_CA, credsFile: config.GROVE_NATS_CREDS };
  // join first: the container network runs on the subnet the api leases to the cell
  const { network } = await joinCluster({
    nats,
    stateDir: config.GROVE_STATE_DIR,
    joinToken: config.GROVE_JOIN_TOKEN,
    cell,
  });
  const subnet = network?.subnet ?? config.GROVE_SUBNET;
  // the cell's resolver listens on the bridge's address: containers' only nameserver (and only
  // default egress); it answers app-internal names and forwards the rest to the host's resolvers
  const resolver = gatewayOf(subnet);
  const runtime = await createCellRuntime({
    bindMountSourceRoots: [volumes.mountsDir],
    stateDir: config.GROVE_STATE_DIR,
    bridge: config.GROVE_BRIDGE,
    subnet,
    ...(network ? { overlay: { cidr: network.range, mode: network.mode } } : {}),
    name: cellName(config.GROVE_BRIDGE),
    externalIP: config.GROVE_CELL_ADDRESS,
    portPool: {
      start: config.GROVE_PORT_POOL_START,
      end: config.GROVE_PORT_POOL_START + config.GROVE_PORT_POOL_SIZE - 1,
    },
    runtimePath: config.GROVE_RUNTIME,
    maxContainers: config.GROVE_CELL_MAX_CONTAINERS,
    outputCapBytes: config.GROVE_OUTPUT_CAP_MB * 1024 * 1024,
    isolateContainers: true,
    imageStoreMaxBytes: config.GROVE_IMAGE_STORE_MAX_BYTES,
    imageBlobIdleTimeoutMs: config.GROVE_IMAGE_BLOB_IDLE_TIMEOUT_MS,
    dnsServers: [resolver],
    log,
  });
  // the cell's runtime is also served over the Garden protocol, for operators and Garden clients
  const gardenServer = createGardenServer({ garden: runtime.garden, log });
  await gardenServer.listen({ socketPath: join(config.GROVE_STATE_DIR, "garden.sock") });
  agent = await startAgent({
    nats,
    garden: runtime.garden,
    stateDir: config.GROVE_STATE_DIR,
    joinToken: config.GROVE_JOIN_TOKEN,
    cell,
    stackLayers: runtime.stackLayers,
    pullImage: runtime.pullImage,
    setPolicy: runtime.setPolicy,
    resolvers: [resolver],
    dns: { address: resolver, upstreams: cellResolvers(config.GROVE_DNS_RESOLVERS) },
    volumes,
    ...(network ? { setRemoteSubnets: runtime.setRemoteSubnets, subnet } : {}),
    heartbeatMs: config.GROVE_HEARTBEAT_MS,
    eventLingerMs: config.GROVE_EVENT_LINGER_MS,
    startsAtOnce: config.GROVE_STARTS_AT_ONCE,
    teardownsAtOnce: config.GROVE_TEARDOWNS_AT_ONCE,
    archiveLimits: archiveLimitsOf(config),
    bitsCacheMaxBytes: config.GROVE_BITS_CACHE_MAX_BYTES,
    metrics,
    log,
  });
  log.info({ cellId: agent.identity.cellId, subnet, statusPort: status.port }, "agent running");
  const running = agent;
  // `on`, not `once`: execa's signal-exit re-raises a signal that no other listener is left for,
  // which killed the agent halfway through a container create
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, async () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "agent stopping; containers keep running");
      await running.close();
      await status.close();
      await gardenServer.close();
      await runtime.close();
      process.exit(0);
    });
  }
}

main().catch((error: unknown) => {
  // one line an operator can act on (bad config, refused join), not a stack trace
  process.stderr.write(`grove-agent: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
