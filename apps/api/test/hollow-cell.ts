import { createHash, randomUUID } from "node:crypto";
import { cellInboxPrefix } from "@grove/nats-auth";
import {
  type ApplyPeers,
  CellCommand,
  CellHeartbeat,
  CommandReply,
  decodeOrThrow,
  encode,
  InstanceEvent,
  InstanceEvents,
  type InstanceUsage,
  LogLine,
  PolicyChanged,
  type PolicySlice,
  PolicySliceReply,
  PolicySliceRequest,
  RegisterCellReply,
  type StartInstance,
  subjects,
  VolumeTransferReply,
  VolumeTransferRequest,
} from "@grove/protocol";
import type { TestNats } from "@grove/testkit";
import { jetstream } from "@nats-io/jetstream";
import { createCurve, createUser, type KeyPair } from "@nats-io/nkeys";
import { jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { onTestFinished } from "vitest";
import { joinToken, type TestApi } from "./harness";

/**
 * What a forged message pretends: `claim` is the cell id its body names, `subjectOf` the cell whose
 * subject it is published on (each this cell's own unless given). NATS refuses a cell with its own
 * user (`ownUser`) another cell's subjects; the api refuses a body that names another cell.
 */
export interface Forgery {
  claim?: string;
  subjectOf?: string;
}

/**
 * A hollow cell: a simulated agent speaking the real protocol over real NATS (as Kubernetes'
 * kubemark does). It joins, answers start commands, and publishes instance events on request.
 * It runs no containers and is never used to claim runtime figures.
 */
export interface HollowCell {
  cellId: string;
  /** the connection it speaks on: its own NATS user's with `ownUser`, else the one it joined with */
  nc: NatsConnection;
  /** errors NATS reported on its own user's connection (permission violations), oldest first */
  violations: string[];
  starts: StartInstance[];
  /** the starts of each `start-instances` command received, oldest first */
  batches: StartInstance[][];
  /** every command as it came over NATS, undecoded */
  rawCommands: string[];
  /** the curve key its heartbeats name for sealing registry credentials */
  sealKey: KeyPair;
  /** ids of stop commands received */
  stops: string[];
  /** policy slices pulled (on joining and on every announcement), oldest first */
  policies: PolicySlice[];
  /** ids of the volumes start commands "made" here and no remove-volume removed (heartbeats report them) */
  volumes: Set<string>;
  /** ids of remove-volume commands received */
  removedVolumes: string[];
  /**
   * what each volume here holds, by id: a volume transfer's export archives these bytes (a volume
   * made here without any: none), an import replaces them with the archive's
   */
  volumeData: Map<string, Buffer>;
  /** every start and stop received, in order: `start:<instance>` / `stop:<instance>` */
  commands: string[];
  /** the apply-peers commands received, oldest first */
  peers: ApplyPeers[];
  /** instances started and not stopped since */
  running(): StartInstance[];
  /** Runs an instance no start command made (a leftover under any id): heartbeats report it. */
  adopt(start: StartInstance): void;
  /** Sends one heartbeat listing the running instances (as RUNNING), each with `usage` when given. */
  heartbeat(usage?: InstanceUsage): void;
  /** Heartbeats every `intervalMs` until `stop()` or `stopHeartbeats()`. */
  startHeartbeats(intervalMs: number): void;
  stopHeartbeats(): void;
  /**
   * Publishes an instance event as this cell (or forged: see `Forgery`); a
   * RUNNING event claims `running.address` (default 127.0.0.1) and `running.hostPort` (default: a
   * new port from 61000 up).
   */
  report(
    start: StartInstance,
    state: "STARTING" | "RUNNING" | "CRASHED" | "STOPPED",
    as?: Forgery,
    running?: { address?: string; hostPort?: number },
  ): Promise<void>;
  /**
   * Publishes the events of several instances in one `InstanceEvents` message as this cell, under
   * `batchId` (default: a new one; the same again is a redelivery); returns the batch's id.
   */
  reportBatch(
    entries: readonly { start: StartInstance; state: "STARTING" | "RUNNING" | "CRASHED" | "STOPPED" }[],
    batchId?: string,
  ): Promise<string>;
  /** Publishes one log line of an instance as this cell (or forged: see `Forgery`). */
  log(start: StartInstance, line: string, as?: Forgery): void;
  stop(): void;
}

/** The instance event a hollow cell publishes when `start`'s instance reaches `state`. */
export function hollowInstanceEvent(
  cellId: string,
  start: Pick<StartInstance, "instanceId" | "appId" | "revision" | "index">,
  state: "STARTING" | "RUNNING" | "CRASHED" | "STOPPED",
  running: { address: string; hostPort: number; containerIP?: string },
) {
  const base = {
    v: 2 as const,
    eventId: randomUUID(),
    cellId,
    instanceId: start.instanceId,
    appId: start.appId,
    revision: start.revision,
    index: start.index,
    at: new Date().toISOString(),
  };
  if (state === "RUNNING")
    return {
      ...base,
      state,
      address: running.address,
      ports: [{ containerPort: 8080, hostPort: running.hostPort }],
      ...(running.containerIP ? { containerIP: running.containerIP } : {}),
    };
  if (state === "CRASHED") return { ...base, state, exitCode: 137, reason: "oom" };
  return { ...base, state };
}

/** How a hollow cell behaves beyond the defaults. */
export interface HollowCellOptions {
  /** speak over a connection of its own NATS user (see `joinHollowCell`) */
  ownUser?: TestNats;
  /**
   * advertised in its heartbeats as an agent does: it takes `start-instances` commands of up to
   * this many starts (absent: it speaks as an older agent, single starts only)
   */
  maxStartBatch?: number;
  /** why it refuses a start (undefined: it takes it); called for each start as it arrives */
  refuse?: (start: StartInstance) => string | undefined;
  /** it answers a `start-instances` command this long after taking it (a busy cell) */
  batchReplyDelayMs?: number;
}

/**
 * Joins a hollow cell over `joinNc`. With `ownUser` it then speaks, as an agent does, only over a
 * connection of its own NATS user (the JWT the api signed for the key it made), so NATS enforces
 * the cell's permissions on everything it publishes and hears.
 */
export async function joinHollowCell(
  joinNc: NatsConnection,
  joinToken: string,
  hostname: string,
  memoryMb = 4096,
  options: HollowCellOptions = {},
): Promise<HollowCell> {
  const user = createUser();
  const request = {
    v: 1,
    joinToken,
    hostname,
    address: "127.0.0.1",
    zone: "z1",
    capacity: { memoryMb, diskMb: 100_000, containers: 50 },
    tags: [],
    stacks: ["busybox"],
    publicKey: user.getPublicKey(),
  };
  const reply = decodeOrThrow(
    RegisterCellReply,
    (await joinNc.request(subjects.register, JSON.stringify(request), { timeout: 5_000 })).data,
  );
  if (!reply.ok) throw new Error(`hollow cell ${hostname} could not join: ${reply.error}`);
  const { cellId } = reply;
  const violations: string[] = [];
  const nc = options.ownUser
    ? await options.ownUser.connect("api", {
        authenticator: jwtAuthenticator(reply.jwt, user.getSeed()),
        inboxPrefix: cellInboxPrefix(cellId),
      })
    : joinNc;
  if (nc !== joinNc)
    void (async () => {
      for await (const status of nc.status())
        if (status.type === "error") violations.push(String(status.error));
    })();
  const starts: StartInstance[] = [];
  const batches: StartInstance[][] = [];
  const rawCommands: string[] = [];
  const sealKey = createCurve();
  const stops: string[] = [];
  const policies: PolicySlice[] = [];
  const volumes = new Set<string>();
  const removedVolumes: string[] = [];
  const volumeData = new Map<string, Buffer>();
  const commands: string[] = [];
  const peers: ApplyPeers[] = [];
  const live = new Map<string, StartInstance>();
  const sub = nc.subscribe(subjects.commands(cellId), {
    callback: (_err, msg) => {
      rawCommands.push(msg.string());
      const { command } = decodeOrThrow(CellCommand, msg.data, msg.subject);
      // an older agent refuses a command it does not know, as it would one that does not decode
      if (command.type === "start-instances" && !options.maxStartBatch) {
        msg.respond(encode(CommandReply, { v: 1, ok: false, error: "invalid command: start-instances" }));
        return;
      }
      const take = (start: StartInstance) => {
        const refused = options.refuse?.(start);
        if (refused !== undefined) return refused;
        if (!live.has(start.instanceId)) {
          starts.push(start);
          commands.push(`start:${start.instanceId}`);
        }
        live.set(start.instanceId, start);
        for (const volume of start.volumes) volumes.add(volume.id);
        return undefined;
      };
      if (command.type === "start-instance") {
        const refused = take(command);
        if (refused !== undefined) {
          msg.respond(encode(CommandReply, { v: 1, ok: false, error: refused }));
          return;
        }
      } else if (command.type === "start-instances") {
        batches.push(command.starts);
        const refused = command.starts.flatMap((start) => {
          const error = take(start);
          return error === undefined ? [] : [{ instanceId: start.instanceId, error }];
        });
        const answer = encode(CommandReply, { v: 1, ok: true, ...(refused.length ? { refused } : {}) });
        if (options.batchReplyDelayMs) setTimeout(() => msg.respond(answer), options.batchReplyDelayMs);
        else msg.respond(answer);
        return;
      } else if (command.type === "stop-instance") {
        stops.push(command.instanceId);
        commands.push(`stop:${command.instanceId}`);
        live.delete(command.instanceId);
      } else if (command.type === "remove-volume") {
        removedVolumes.push(command.volumeId);
        volumes.delete(command.volumeId);
      } else if (command.type === "apply-peers") peers.push(command);
      msg.respond(encode(CommandReply, { v: 1, ok: true }));
    },
  });
  const transfers = answerVolumeTransfers(nc, cellId, volumes, volumeData);
  // as an agent does: pull the slice on joining and whenever a revision is announced
  const pull = async () => {
    const msg = await nc.request(
      subjects.policySlice(cellId),
      encode(PolicySliceRequest, { v: 1, cellId, enforced: -1 }),
      { timeout: 5_000 },
    );
    const reply = decodeOrThrow(PolicySliceReply, msg.data, msg.subject);
    if (reply.ok) policies.push(reply.slice);
  };
  const announcements = nc.subscribe(subjects.policyChanged, {
    callback: (_err, msg) => {
      decodeOrThrow(PolicyChanged, msg.data, msg.subject);
      void pull().catch(() => undefined);
    },
  });
  void pull().catch(() => undefined);
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  const heartbeat = (usage?: InstanceUsage) =>
    nc.publish(
      subjects.heartbeat(cellId),
      encode(CellHeartbeat, {
        v: 2,
        cellId,
        seq: seq++,
        at: new Date().toISOString(),
        capacity: request.capacity,
        available: request.capacity,
        instances: [...live.values()].map((s) => ({
          instanceId: s.instanceId,
          appId: s.appId,
          revision: s.revision,
          index: s.index,
          state: "RUNNING" as const,
          ...(usage ? { usage } : {}),
        })),
        volumes: [...volumes],
        sealKey: sealKey.getPublicKey(),
        ...(options.maxStartBatch ? { maxStartBatch: options.maxStartBatch } : {}),
      }),
    );
  const js = jetstream(nc);
  let port = 61000;
  let containers = 2;
  return {
    cellId,
    nc,
    violations,
    starts,
    batches,
    rawCommands,
    sealKey,
    stops,
    policies,
    volumes,
    removedVolumes,
    volumeData,
    commands,
    peers,
    running: () => [...live.values()],
    adopt: (start) => live.set(start.instanceId, start),
    heartbeat,
    startHeartbeats(intervalMs) {
      clearInterval(timer);
      timer = setInterval(() => heartbeat(), intervalMs);
    },
    stopHeartbeats: () => clearInterval(timer),
    async report(start, state, as, running = {}) {
      const event = hollowInstanceEvent(as?.claim ?? cellId, start, state, {
        address: running.address ?? "127.0.0.1",
        hostPort: running.hostPort ?? port++,
        containerIP: `10.99.${(containers >> 8) & 255}.${containers++ & 255}`,
      });
      await js.publish(subjects.instanceEvents(as?.subjectOf ?? cellId), encode(InstanceEvent, event));
    },
    async reportBatch(entries, batchId = randomUUID()) {
      const events = entries.map(({ start, state }) =>
        hollowInstanceEvent(cellId, start, state, { address: "127.0.0.1", hostPort: port++ }),
      );
      await js.publish(
        subjects.instanceEvents(cellId),
        encode(InstanceEvents, { v: 3, batchId, cellId, events }),
      );
      return batchId;
    },
    log(start, line, as) {
      nc.publish(
        subjects.logs(as?.subjectOf ?? cellId, start.tenantId, start.appId, start.instanceId),
        encode(LogLine, {
          v: 2,
          cellId: as?.claim ?? cellId,
          appId: start.appId,
          instanceId: start.instanceId,
          index: start.index,
          stream: "stdout",
          line,
          at: new Date().toISOString(),
        }),
      );
    },
    stop() {
      clearInterval(timer);
      sub.unsubscribe();
      announcements.unsubscribe();
      transfers.unsubscribe();
      if (nc !== joinNc) void nc.close();
    },
  };
}

/** A hollow cell joined to the test's api with a token of its own, stopped when the test ends; with `heartbeatMs` it heartbeats. */
export async function hollowCellOf(
  t: TestApi,
  name: string,
  options: { heartbeatMs?: number } & Omit<HollowCellOptions, "ownUser"> = {},
): Promise<HollowCell> {
  const cell = await joinHollowCell(t.nc, await joinToken(t), name, undefined, options);
  onTestFinished(() => cell.stop());
  if (options.heartbeatMs) cell.startHeartbeats(options.heartbeatMs);
  return cell;
}

/**
 * Answers the api's volume transfers as an agent does, with `data` standing in for the volumes'
 * files: an export archives a volume made here (`volumes`), reads give the archive piece by piece,
 * writes fill an import's spool, and an import checks its size and sha256 before the volume holds it.
 */
function answerVolumeTransfers(
  nc: NatsConnection,
  cellId: string,
  volumes: Set<string>,
  data: Map<string, Buffer>,
) {
  const spools = new Map<string, Buffer>();
  const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
  const answer = (request: VolumeTransferRequest): VolumeTransferReply => {
    const { action, transferId } = request;
    const spool = spools.get(transferId) ?? Buffer.alloc(0);
    switch (action.type) {
      case "export": {
        if (!volumes.has(action.volumeId))
          return { v: 1, ok: false, error: `no volume ${action.volumeId} here` };
        const archive = data.get(action.volumeId) ?? Buffer.alloc(0);
        spools.set(transferId, archive);
        return { v: 1, ok: true, bytes: archive.length, sha256: sha256(archive) };
      }
      case "read":
        return {
          v: 1,
          ok: true,
          data: spool.subarray(action.offset, action.offset + action.length).toString("base64"),
        };
      case "write":
        spools.set(
          transferId,
          Buffer.concat([spool.subarray(0, action.offset), Buffer.from(action.data, "base64")]),
        );
        return { v: 1, ok: true };
      case "import":
        if (spool.length !== action.bytes || sha256(spool) !== action.sha256)
          return { v: 1, ok: false, error: "the archive is not the one announced" };
        data.set(action.volumeId, spool);
        volumes.add(action.volumeId);
        return { v: 1, ok: true };
      case "discard":
        spools.delete(transferId);
        return { v: 1, ok: true };
    }
  };
  return nc.subscribe(subjects.volumeTransfers(cellId), {
    callback: (_err, msg) => {
      const request = decodeOrThrow(VolumeTransferRequest, msg.data, msg.subject);
      msg.respond(encode(VolumeTransferReply, answer(request)));
    },
  });
}
