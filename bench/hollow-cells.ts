/**
 * Hollow cells (Kubernetes' kubemark idea): N simulated agents in one process, each speaking the
 * real protocol over real NATS as a real agent does — it joins with a join token over the join
 * connection, then speaks only over a connection of its own NATS user (the JWT the api signed for
 * the nkey it made), sends a state sync and heartbeats, answers start (single or batched, as it
 * advertises) and stop commands, and reports STARTING/RUNNING (or, at `crashRate`, CRASHED) and
 * STOPPED on the instance events stream after realistic delays, through the agent's own publisher
 * (batches once the api says it takes them). It runs no containers: its figures are the control
 * plane's, never a runtime's. The bytes on the wire are an agent's, but the thousand cells share one
 * process on the machine under test, where each would have a machine of its own: they serialise
 * what they send without validating it and read commands without validating them (`serialize`,
 * `JSON.parse`), so the simulation takes less of the control plane's CPU. The leader's commands are
 * validated by real agents in the api's cluster tests.
 *
 * Run by bench/cluster.ts as a child: `tsx bench/hollow-cells.ts` with BENCH_HOLLOW_CELLS (JSON of
 * `HollowCellsConfig`) in the environment; prints `ready <n>` once every cell has joined.
 */
import { randomUUID } from "node:crypto";
import { cellInboxPrefix, JOIN_INBOX_PREFIX, type NatsAccess, natsConnectOptions } from "@grove/nats-auth";
import {
  type CellCommand,
  CellHeartbeat,
  CellStateSync,
  CellStateSyncReply,
  CommandReply,
  decode,
  encode,
  RegisterCellReply,
  type StartInstance,
  serialize,
  subjects,
} from "@grove/protocol";
import { jetstream } from "@nats-io/jetstream";
import { createUser } from "@nats-io/nkeys";
import { connect, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import pino from "pino";
import { InstanceEventPublisher } from "../apps/agent/src/instance-events";
import { hollowInstanceEvent } from "../apps/api/test/hollow-cell";

export interface HollowCellsConfig {
  count: number;
  joinToken: string;
  /** the join role's access (TLS CA + join credentials) */
  join: NatsAccess;
  zones: number;
  capacity: { memoryMb: number; diskMb: number; containers: number };
  heartbeatMs: number;
  /** a start takes this long ± half to report RUNNING (container create + health check) */
  startMs: number;
  stopMs: number;
  /** the share of starts that report CRASHED instead of RUNNING */
  crashRate: number;
  /** joins in flight at once */
  joinConcurrency: number;
  /** advertised as an agent does: the most starts taken in one `start-instances` (absent: singles only) */
  maxStartBatch?: number;
}

interface Running {
  /** what its heartbeats and events name (not the whole start: 100,000 specs kept made the GC mark them again and again) */
  start: Pick<StartInstance, "instanceId" | "appId" | "revision" | "index">;
  state: "STARTING" | "RUNNING" | "CRASHED";
}

const jitter = (ms: number) => ms * (0.5 + Math.random());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class HollowCell {
  private readonly instances = new Map<string, Running>();
  private seq = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** the agent's own publisher: singles until the api's state sync reply says it takes batches */
  private readonly events: InstanceEventPublisher;
  private port = 61000;

  constructor(
    readonly cellId: string,
    private readonly nc: NatsConnection,
    private readonly config: HollowCellsConfig,
  ) {
    this.events = new InstanceEventPublisher(jetstream(nc), { cellId }, pino({ level: "silent" }), {
      validate: false,
    });
  }

  async begin(): Promise<void> {
    this.nc.subscribe(subjects.commands(this.cellId), {
      callback: (_error, msg) => {
        let command: CellCommand["command"];
        try {
          ({ command } = JSON.parse(msg.string()) as CellCommand);
        } catch {
          msg.respond(serialize(CommandReply, { v: 1, ok: false, error: "invalid command" }));
          return;
        }
        if (command.type === "start-instance") this.startInstance(command);
        else if (command.type === "start-instances")
          for (const start of command.starts) this.startInstance(start);
        else if (command.type === "stop-instance") this.stopInstance(command.instanceId);
        msg.respond(serialize(CommandReply, { v: 1, ok: true }));
      },
    });
    const now = new Date().toISOString();
    const answer = await this.nc.request(
      subjects.stateSync(this.cellId),
      encode(CellStateSync, {
        v: 2,
        cellId: this.cellId,
        syncId: randomUUID(),
        at: now,
        capacity: this.config.capacity,
        available: this.config.capacity,
        instances: [],
        volumes: [],
        ...(this.config.maxStartBatch ? { maxStartBatch: this.config.maxStartBatch } : {}),
      }),
      { timeout: 60_000 },
    );
    const reply = decode(CellStateSyncReply, answer.data);
    if (reply.ok && reply.value.ok) this.events.batchUpTo(reply.value.maxEventBatch ?? 1);
    // beats spread over the interval, as agents started at different times
    setTimeout(() => {
      this.heartbeat();
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.config.heartbeatMs);
    }, Math.random() * this.config.heartbeatMs);
  }

  private startInstance(start: StartInstance): void {
    if (this.instances.has(start.instanceId)) return; // idempotent: a resent start makes nothing new
    const { instanceId, appId, revision, index } = start;
    const running: Running = { start: { instanceId, appId, revision, index }, state: "STARTING" };
    this.instances.set(instanceId, running);
    void (async () => {
      await sleep(jitter(this.config.startMs));
      if (this.instances.get(instanceId) !== running) return;
      running.state = Math.random() < this.config.crashRate ? "CRASHED" : "RUNNING";
      this.report(running.start, running.state);
    })().catch(() => {});
  }

  private stopInstance(instanceId: string): void {
    const running = this.instances.get(instanceId);
    if (!running) return;
    this.instances.delete(instanceId);
    void (async () => {
      await sleep(jitter(this.config.stopMs));
      this.report(running.start, "STOPPED");
    })().catch(() => {});
  }

  private report(start: Running["start"], state: "RUNNING" | "CRASHED" | "STOPPED"): void {
    const {
      v: _v,
      eventId: _id,
      cellId: _cell,
      at: _at,
      ...body
    } = hollowInstanceEvent(this.cellId, start, state, {
      address: "127.0.0.1",
      hostPort: this.port++,
    });
    this.events.publish(body);
  }

  private heartbeat(): void {
    const used = this.instances.size;
    const { capacity } = this.config;
    this.nc.publish(
      subjects.heartbeat(this.cellId),
      serialize(CellHeartbeat, {
        v: 2,
        cellId: this.cellId,
        seq: this.seq++,
        at: new Date().toISOString(),
        capacity,
        available: { ...capacity, containers: Math.max(0, capacity.containers - used) },
        instances: [...this.instances.values()].map(({ start, state }) => ({
          instanceId: start.instanceId,
          appId: start.appId,
          revision: start.revision,
          index: start.index,
          state,
        })),
        volumes: [],
        ...(this.config.maxStartBatch ? { maxStartBatch: this.config.maxStartBatch } : {}),
      }),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    await this.nc.close();
  }
}

async function joinOne(config: HollowCellsConfig, joinNc: NatsConnection, i: number): Promise<HollowCell> {
  const user = createUser();
  const request = {
    v: 1,
    joinToken: config.joinToken,
    hostname: `hollow-${String(i).padStart(4, "0")}`,
    address: "127.0.0.1",
    zone: `zone-${i % config.zones}`,
    capacity: config.capacity,
    tags: [],
    stacks: ["busybox"],
    publicKey: user.getPublicKey(),
  };
  const msg = await joinNc.request(subjects.register, JSON.stringify(request), { timeout: 60_000 });
  const reply = decode(RegisterCellReply, msg.data, msg.subject);
  if (!reply.ok) throw new Error(`hollow cell ${i}: ${reply.error.message}`);
  if (!reply.value.ok) throw new Error(`hollow cell ${i} could not join: ${reply.value.error}`);
  const { cellId, jwt } = reply.value;
  const options = {
    ...(await natsConnectOptions({ url: config.join.url, caFile: config.join.caFile })),
    authenticator: jwtAuthenticator(jwt, user.getSeed()),
    inboxPrefix: cellInboxPrefix(cellId),
    name: `hollow-${i}`,
    // a thousand TLS handshakes on a busy 2-core machine: the default 20 s ended whole runs
    timeout: 120_000,
  };
  const nc = await connectRetrying(() => connect(options));
  const cell = new HollowCell(cellId, nc, config);
  await cell.begin();
  return cell;
}

/**
 * A connection, tried again (up to 5 times, waiting longer each time) when the server drops the TLS
 * handshake or does not finish it in time: on a busy machine one such failure ended the whole run.
 */
async function connectRetrying(dial: () => Promise<NatsConnection>): Promise<NatsConnection> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dial();
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(1_000 * attempt);
    }
  }
}

/** Joins `config.count` hollow cells, `joinConcurrency` at a time; returns them running. */
export async function startHollowCells(config: HollowCellsConfig): Promise<HollowCell[]> {
  const joinOptions = {
    ...(await natsConnectOptions(config.join)),
    inboxPrefix: JOIN_INBOX_PREFIX,
    name: "hollow-join",
    timeout: 120_000,
  };
  const joinNc = await connectRetrying(() => connect(joinOptions));
  const cells: HollowCell[] = [];
  let next = 0;
  const worker = async () => {
    while (next < config.count) cells.push(await joinOne(config, joinNc, next++));
  };
  await Promise.all(Array.from({ length: config.joinConcurrency }, worker));
  await joinNc.close();
  return cells;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // nats.js ends every finished request (each JetStream publish of a thousand cells' events) by
  // rejecting it with a new Error nobody sees, whose stack capture cost 1.3 s of a ramp here: this
  // simulator's errors say what failed by their message alone
  Error.stackTraceLimit = 0;
  const config = JSON.parse(process.env.BENCH_HOLLOW_CELLS ?? "{}") as HollowCellsConfig;
  const cells = await startHollowCells(config);
  process.stdout.write(`ready ${cells.length}\n`);
  const stop = async () => {
    await Promise.allSettled(cells.map((cell) => cell.close()));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}
