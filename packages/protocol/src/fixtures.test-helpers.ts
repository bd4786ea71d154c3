import type {
  CellCommand,
  CellHeartbeat,
  CellStateSync,
  InstanceEvent,
  LogLine,
  MessageInputOf,
  RegisterCellRequest,
} from "./index";

// Valid example messages shared by the tests; each test breaks one field at a time.
export const digest = `sha256:${"a".repeat(64)}`;
export const at = "2026-11-28T10:00:00.000Z";

export const registerRequest: MessageInputOf<typeof RegisterCellRequest> = {
  v: 1,
  joinToken: "jt_0123456789abcdef",
  hostname: "cell-a.example",
  address: "10.0.0.5",
  zone: "z1",
  capacity: { memoryMb: 16384, diskMb: 65536, containers: 250 },
  tags: ["ssd"],
  stacks: ["busybox"],
  publicKey: `U${"A".repeat(55)}`,
};

export const heartbeat: MessageInputOf<typeof CellHeartbeat> = {
  v: 2,
  cellId: "cell-1",
  seq: 7,
  at,
  capacity: { memoryMb: 16384, diskMb: 65536, containers: 250 },
  available: { memoryMb: 8192, diskMb: 60000, containers: 240 },
  instances: [{ instanceId: "i-1", appId: "app-1", revision: 2, index: 0, state: "RUNNING" }],
  volumes: ["0b7e7c4e-9f3a-4a51-8d0c-2f7f4f4c1a11"],
};

export const stateSync: MessageInputOf<typeof CellStateSync> = {
  v: 2,
  cellId: "cell-1",
  syncId: "sync-1",
  at,
  volumes: [],
  capacity: { memoryMb: 16384, diskMb: 65536, containers: 250 },
  available: { memoryMb: 8192, diskMb: 60000, containers: 240 },
  instances: [
    {
      instanceId: "i-1",
      appId: "app-1",
      revision: 2,
      index: 0,
      state: "RUNNING",
      containerHandle: "i-1",
      address: "10.0.0.5",
      ports: [{ containerPort: 8080, hostPort: 61001 }],
      since: at,
    },
  ],
};

export const startCommand: MessageInputOf<typeof CellCommand> = {
  v: 1,
  command: {
    type: "start-instance",
    instanceId: "i-1",
    appId: "app-1",
    tenantId: "t-1",
    revision: 2,
    index: 0,
    bitsDigest: digest,
    stack: "busybox",
    command: "./server",
    env: { PORT: "8080" },
    memoryMb: 256,
    diskMb: 1024,
    ports: [8080],
    healthCheck: { type: "http", path: "/health" },
  },
};

export const crashed: MessageInputOf<typeof InstanceEvent> = {
  v: 2,
  eventId: "ev-1",
  cellId: "cell-1",
  instanceId: "i-1",
  appId: "app-1",
  revision: 2,
  index: 0,
  at,
  state: "CRASHED",
  exitCode: 137,
  reason: "oom",
};

export const logLine: MessageInputOf<typeof LogLine> = {
  v: 2,
  cellId: "cell-1",
  appId: "app-1",
  instanceId: "i-1",
  index: 0,
  stream: "stderr",
  line: "listening on :8080",
  at,
};
