import { z } from "zod";
import { CellNetwork, ipv4Cidr } from "./cell-network";
import { MAX_START_BATCH } from "./commands";
import {
  bitsDigest,
  count,
  InstanceState,
  id,
  isoTimestamp,
  label,
  PortMapping,
  Resources,
  sealKey,
} from "./common";
import { MAX_EVENT_BATCH } from "./events";
import { defineMessage, versionAt, versionField } from "./message";

/** agent → api on `subjects.register`: join the cluster with a join token. */
export const RegisterCellRequest = defineMessage(
  "cells.register",
  z.object({
    v: versionField,
    joinToken: z.string().min(16).max(256),
    hostname: z.string().min(1).max(253),
    /** The address other cells and the router reach this cell's mapped ports on. */
    address: z.union([z.ipv4(), z.ipv6()]),
    zone: label,
    capacity: Resources,
    tags: z.array(label).max(64).default([]),
    stacks: z.array(label).min(1).max(64),
    agentVersion: z.string().max(64).optional(),
    /**
     * The public nkey of the cell's NATS user; the agent keeps the seed, the api signs a user JWT
     * for it whose permissions allow only the cell's own subjects.
     */
    publicKey: z.string().regex(/^U[A-Z2-7]{55}$/, "must be a NATS user public key"),
  }),
);
export type RegisterCellRequest = z.output<typeof RegisterCellRequest.schema>;

/**
 * api → agent: the cell's id and NATS user JWT, or why the join was refused. Version 2: no bearer
 * credential any more; the cell's NATS user (this JWT and the seed only the agent has) is its
 * identity.
 */
export const RegisterCellReply = defineMessage(
  "cells.register.reply",
  z.discriminatedUnion("ok", [
    z.object({
      v: versionAt(2),
      ok: z.literal(true),
      cellId: id,
      /** the NATS user JWT for the request's `publicKey` (nothing secret: it is useless without the seed) */
      jwt: z.string().min(1).max(16_384),
      /** the cell's leased container subnet and the cluster network around it (an older api sends none) */
      network: CellNetwork.optional(),
    }),
    z.object({
      v: versionAt(2),
      ok: z.literal(false),
      code: z.enum([
        "invalid-join-token",
        "expired-join-token",
        "invalid-request",
        "no-free-subnet",
        "internal",
      ]),
      error: z.string().max(1024),
    }),
  ]),
  { version: 2 },
);
export type RegisterCellReply = z.output<typeof RegisterCellReply.schema>;

/**
 * What one instance's container uses, sampled by the agent from its cgroups and disk: CPU over the
 * last sampling period (100 = one full core), memory counted toward its limit, disk bytes of its
 * writable layer, and log lines dropped by its log-rate limit since the container started.
 */
export const InstanceUsage = z.object({
  cpuPercent: z.number().nonnegative().max(100_000),
  memoryBytes: count,
  diskBytes: count,
  logLinesDropped: count.optional(),
});
export type InstanceUsage = z.infer<typeof InstanceUsage>;

/** How far the pull of a starting instance's image is: bytes on the cell of the image's total. */
export const ImagePullProgress = z.object({ bytes: count, total: count });
export type ImagePullProgress = z.infer<typeof ImagePullProgress>;

/** One instance as a heartbeat summarises it. */
export const InstanceSummary = z.object({
  instanceId: id,
  appId: id,
  revision: z.int().positive(),
  index: count,
  state: InstanceState,
  /** absent until the agent has sampled the instance's container */
  usage: InstanceUsage.optional(),
  /** while the cell pulls a docker app's image for it (absent from older agents) */
  pull: ImagePullProgress.optional(),
});
export type InstanceSummary = z.infer<typeof InstanceSummary>;

/**
 * agent → api on `subjects.heartbeat(cellId)` every 5 s: presence, free capacity, instance summary.
 * Version 2: no credential; the sender is the cell of the subject, which only it may publish on.
 */
export const CellHeartbeat = defineMessage(
  "cells.heartbeat",
  z.object({
    v: versionAt(2),
    cellId: id,
    /** Increases by one per heartbeat since the agent started; lets the api drop reordered ones. */
    seq: count,
    at: isoTimestamp,
    capacity: Resources,
    available: Resources,
    instances: z.array(InstanceSummary).max(10_000),
    /** the ids of the volumes whose data is on this cell (absent from older agents) */
    volumes: z.array(id).max(10_000).default([]),
    /** the key registry credentials are sealed for (absent from older agents) */
    sealKey: sealKey.optional(),
    /**
     * The most starts this agent takes in one `start-instances` command; absent (older agents): it
     * takes `start-instance` commands only.
     */
    maxStartBatch: z.int().min(1).max(MAX_START_BATCH).optional(),
  }),
  { version: 2 },
);
export type CellHeartbeat = z.output<typeof CellHeartbeat.schema>;

/** One instance in a full state sync: everything the agent knows about it. */
export const InstanceDetail = InstanceSummary.extend({
  containerHandle: z.string().min(1).max(256),
  bitsDigest: bitsDigest.optional(),
  address: z.union([z.ipv4(), z.ipv6()]).optional(),
  ports: z.array(PortMapping).max(32).default([]),
  /** the container's own address on the cell network */
  containerIP: z.ipv4().optional(),
  since: isoTimestamp,
  exitCode: z.int().optional(),
  reason: z.string().max(1024).optional(),
});
export type InstanceDetail = z.output<typeof InstanceDetail>;

/**
 * agent → api on `subjects.stateSync(cellId)` (request/reply) after every agent start: the complete
 * list of instances on the cell, rebuilt from the depot and runC. The api reconciles against it;
 * instances it expected on this cell and that are absent are gone. Version 2: no credential.
 */
export const CellStateSync = defineMessage(
  "cells.sync",
  z.object({
    v: versionAt(2),
    cellId: id,
    syncId: id,
    at: isoTimestamp,
    /** the container subnet the cell's network uses; the api keeps (or takes back) its lease on it */
    subnet: ipv4Cidr.optional(),
    capacity: Resources,
    available: Resources,
    instances: z.array(InstanceDetail).max(10_000),
    /** the ids of the volumes whose data is on this cell (absent from older agents) */
    volumes: z.array(id).max(10_000).default([]),
    /** the key registry credentials are sealed for (absent from older agents) */
    sealKey: sealKey.optional(),
    /** as in heartbeats: the most starts this agent takes in one `start-instances` command */
    maxStartBatch: z.int().min(1).max(MAX_START_BATCH).optional(),
  }),
  { version: 2 },
);
export type CellStateSync = z.output<typeof CellStateSync.schema>;

/** api → agent: the state sync was applied (or why not). */
export const CellStateSyncReply = defineMessage(
  "cells.sync.reply",
  z.object({
    v: versionField,
    ok: z.boolean(),
    error: z.string().max(1024).optional(),
    /**
     * the most instance events the api takes in one `InstanceEvents` message (absent from an older
     * api: the agent publishes each event alone)
     */
    maxEventBatch: z.int().min(1).max(MAX_EVENT_BATCH).optional(),
  }),
);
export type CellStateSyncReply = z.output<typeof CellStateSyncReply.schema>;
