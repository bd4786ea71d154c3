import { join } from "node:path";
import { createGarden, createNetworker } from "@grove/garden";
import { createImages, ensureNodeLayer } from "@grove/images";
import { connect } from "@nats-io/transport-node";
import { pino } from "pino";
import { startAgent } from "./agent";
import { parseAgentConfig } from "./config";

const config = parseAgentConfig(process.env);
const log = pino({ level: config.GROVE_LOG_LEVEL });
const stateDir = config.GROVE_STATE_DIR;
const cellKey = config.GROVE_BRIDGE.replace(/[^a-z0-9]/g, "");
const images = createImages({ storeDir: join(stateDir, "images"), log });
const networker = createNetworker({
  stateDir: join(stateDir, "network"),
  bridge: config.GROVE_BRIDGE,
  subnet: config.GROVE_SUBNET,
  name: `grove${cellKey}`.slice(0, 20),
  externalIP: config.GROVE_CELL_ADDRESS,
  portPool: { start: config.GROVE_PORT_POOL_START, end: config.GROVE_PORT_POOL_START + config.GROVE_PORT_POOL_SIZE - 1 },
  log,
});
const garden = await createGarden(
  {
    depotDir: join(stateDir, "depot"),
    runtimePath: config.GROVE_RUNTIME,
    runtimeRoot: join(stateDir, "runtime"),
    cgroupParent: `grove-${cellKey}`,
    maxContainers: config.GROVE_CELL_MAX_CONTAINERS,
    logger: log,
  },
  { volumizer: images, networker },
);
const nats = await connect({ servers: config.NATS_URL, name: `grove-agent-${config.GROVE_CELL_NAME}`, maxReconnectAttempts: -1 });
const agent = await startAgent({
  nats,
  garden,
  stateDir,
  joinToken: config.GROVE_JOIN_TOKEN,
  cell: {
    name: config.GROVE_CELL_NAME,
    address: config.GROVE_CELL_ADDRESS,
    zone: config.GROVE_CELL_ZONE,
    tags: config.GROVE_CELL_TAGS,
    stacks: ["busybox", "node"],
    capacity: {
      memoryMb: config.GROVE_CELL_MEMORY_MB,
      diskMb: config.GROVE_CELL_DISK_MB,
      containers: config.GROVE_CELL_MAX_CONTAINERS,
    },
  },
  stackLayers: async (stack) => {
    if (stack === "busybox") return [];
    if (stack === "node") return [(await ensureNodeLayer(join(stateDir, "images"))).dir];
    throw new Error(`this cell has no stack ${stack}`);
  },
  heartbeatMs: config.GROVE_HEARTBEAT_MS,
  routeIntervalMs: config.GROVE_ROUTE_INTERVAL_MS,
  log,
});
log.info({ cellId: agent.identity.cellId }, "agent running");
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    log.info({ signal }, "agent stopping; containers keep running");
    await agent.close();
    await garden.close();
    await nats.drain().catch(() => {});
    process.exit(0);
  });
}
