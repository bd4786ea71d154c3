import { z } from "zod";
import { ApplyPeers } from "./cell-network";
import { bitsDigest, count, id, label, port, sealKey } from "./common";
import { ApplyNames } from "./internal-names";
import { defineMessage, versionField } from "./message";

const timing = {
  /** One probe's timeout. */
  timeoutMs: z.int().min(1).max(600_000).default(1_000),
  /** Probe period while the instance is starting, until healthy or `startTimeoutMs`. */
  startIntervalMs: z.int().min(100).max(600_000).default(2_000),
  /** Probe period once the instance is healthy. */
  intervalMs: z.int().min(100).max(600_000).default(10_000),
  /** How long the instance may take to become healthy before it counts as crashed. */
  startTimeoutMs: z.int().min(1).max(3_600_000).default(60_000),
};

/**
 * How the agent decides an instance is healthy: a TCP connect to `port` (default: the first of the
 * instance's ports), an HTTP GET of `path` answering 2xx, or just the process being alive.
 */
export const HealthCheck = z.discriminatedUnion("type", [
  z.object({ type: z.literal("port"), port: port.optional(), ...timing }),
  z.object({
    type: z.literal("http"),
    port: port.optional(),
    path: z.string().startsWith("/").max(1024),
    ...timing,
  }),
  z.object({ type: z.literal("process"), ...timing }),
]);
export type HealthCheck = z.output<typeof HealthCheck>;

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A volume an instance mounts: made on the cell (an ext4 image of `sizeMb`) the first time, kept
 * across instances. A single-writer volume (`shared` false) is mounted by one instance at a time.
 */
export const InstanceVolume = z.object({
  id,
  sizeMb: z
    .int()
    .positive()
    .max(1024 * 1024),
  shared: z.boolean(),
  /** where in the container: absolute, plain segments */
  path: z
    .string()
    .max(256)
    .regex(/^(\/[A-Za-z0-9._-]+)+$/, "must be an absolute path")
    .refine((path) => !path.split("/").some((s) => s === "." || s === ".."), "must not contain . or .."),
  readOnly: z.boolean(),
});
export type InstanceVolume = z.output<typeof InstanceVolume>;

/** A private registry's credentials for a docker app, as the api seals them for a cell. */
export const RegistryCredentials = z.object({
  username: z.string().min(1).max(1024),
  password: z.string().max(8192),
});
export type RegistryCredentials = z.output<typeof RegistryCredentials>;

/**
 * Registry credentials (`RegistryCredentials` as JSON) sealed with nkeys' curve box
 * (X25519 + XSalsa20-Poly1305) for the cell's `sealKey`, from a one-time key `from`: only that cell
 * can open them, so they are never in a NATS message in clear.
 */
export const SealedCredentials = z.object({
  from: sealKey,
  /** base64 */
  box: z.string().min(1).max(16_384),
});
export type SealedCredentials = z.output<typeof SealedCredentials>;

/**
 * The registry image a docker app runs, pinned by digest. The cell pulls it with the credentials
 * sealed for it and runs `args` (the image's Entrypoint+Cmd) or, when absent, the start command
 * through /bin/sh, as `user` in `dir`.
 */
export const InstanceImage = z.object({
  uri: z
    .string()
    .max(1024)
    .regex(/^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/, "must be docker://host/repo@sha256:<64 hex>"),
  credentials: SealedCredentials.optional(),
  args: z.array(z.string().max(65_536)).min(1).max(1024).optional(),
  user: z.string().max(256).optional(),
  dir: z.string().startsWith("/").max(4096).optional(),
});
export type InstanceImage = z.output<typeof InstanceImage>;

/** Start one instance of an app revision. Idempotent per `instanceId` + `revision`. */
export const StartInstance = z.object({
  type: z.literal("start-instance"),
  instanceId: id,
  appId: id,
  tenantId: id,
  revision: z.int().positive(),
  index: count,
  /** the app's bits (buildpack-style apps); absent for a docker app, which has `image` */
  bitsDigest: bitsDigest.optional(),
  image: InstanceImage.optional(),
  stack: label,
  command: z.string().min(1).max(8192),
  env: z.record(z.string().regex(envName, "must be an environment variable name"), z.string().max(65_536)),
  memoryMb: z.int().positive(),
  diskMb: z.int().positive(),
  /** Container ports to map to cell ports; the first is the app's HTTP port. */
  ports: z.array(port).max(32),
  healthCheck: HealthCheck,
  /**
   * Log lines per second the instance may write (stdout and stderr together); the agent drops the
   * excess, counts it and says so in the app's logs (0: no lines at all, and no notice). Absent =
   * unlimited.
   */
  logLinesPerSecond: count.optional(),
  /**
   * Route URIs (gorouter `uris`). Unused: routes are registered by the control plane, never by a
   * cell; kept so commands of an older api still parse.
   */
  routes: z.array(z.string().min(1).max(1024)).max(100).default([]),
  /** volumes to mount (absent from an older api's commands: none) */
  volumes: z.array(InstanceVolume).max(8).default([]),
});
export type StartInstance = z.output<typeof StartInstance>;

/**
 * The most starts one `start-instances` command carries. The api also keeps a batch's encoded size
 * under the NATS server's max payload (1 MiB by default), splitting it when it would not fit.
 */
export const MAX_START_BATCH = 250;

/**
 * Start several instances on one cell in one request: the agent takes each (as `start-instance`
 * would: idempotent per `instanceId` + `revision`) and answers at once, before any container is
 * made; how each start then goes is told by its instance events (STARTING, RUNNING or CRASHED).
 * Sent only to cells whose reports advertise `maxStartBatch`.
 */
export const StartInstances = z.object({
  type: z.literal("start-instances"),
  starts: z.array(StartInstance).min(1).max(MAX_START_BATCH),
});
export type StartInstances = z.output<typeof StartInstances>;

/** Stop one instance: SIGTERM, then SIGKILL after `graceMs`. Stopping a missing instance succeeds. */
export const StopInstance = z.object({
  type: z.literal("stop-instance"),
  instanceId: id,
  graceMs: z.int().min(0).max(600_000).default(10_000),
});
export type StopInstance = z.output<typeof StopInstance>;

/**
 * Remove a volume from the cell: unmount it, detach its loop device and delete its image, freeing
 * its space. Refused while an instance on the cell mounts it; removing a missing volume succeeds.
 */
export const RemoveVolume = z.object({ type: z.literal("remove-volume"), volumeId: id });
export type RemoveVolume = z.output<typeof RemoveVolume>;

/** api → agent on `subjects.commands(cellId)` (request/reply). */
export const CellCommand = defineMessage(
  "cells.command",
  z.object({
    v: versionField,
    /** Correlates the api's and the agent's logs of one command; not used for deduplication. */
    requestId: id.optional(),
    command: z.discriminatedUnion("type", [
      StartInstance,
      StartInstances,
      StopInstance,
      RemoveVolume,
      ApplyPeers,
      ApplyNames,
    ]),
  }),
);
export type CellCommand = z.output<typeof CellCommand.schema>;

/** One start of a `start-instances` command the cell refused, and why. */
export const RefusedStart = z.object({ instanceId: id, error: z.string().max(1024) });
export type RefusedStart = z.output<typeof RefusedStart>;

/**
 * agent → api: whether the command was carried out (a repeat of a done command is `ok`). For
 * `start-instances`, `ok` means the batch was taken: every start not in `refused` was accepted.
 */
export const CommandReply = defineMessage(
  "cells.command.reply",
  z.object({
    v: versionField,
    ok: z.boolean(),
    /** True when the command had already been carried out and nothing was done this time. */
    duplicate: z.boolean().optional(),
    error: z.string().max(4096).optional(),
    /** the starts of a `start-instances` command refused (absent: none) */
    refused: z.array(RefusedStart).max(MAX_START_BATCH).optional(),
  }),
);
export type CommandReply = z.output<typeof CommandReply.schema>;

/**
 * The key under which an agent deduplicates commands: a retried start of the same instance revision
 * must never create a second container, and a retried stop is harmless.
 */
export function commandIdempotencyKey(
  command: StartInstance | StopInstance | RemoveVolume | ApplyPeers,
): string {
  if (command.type === "start-instance") return `start:${command.instanceId}:${command.revision}`;
  if (command.type === "stop-instance") return `stop:${command.instanceId}`;
  if (command.type === "remove-volume") return `remove-volume:${command.volumeId}`;
  return `peers:${command.version}`;
}
