import { createHash, randomUUID } from "node:crypto";
import {
  decode,
  encode,
  MAX_VOLUME_CHUNK_BYTES,
  subjects,
  VOLUME_DATA_BUCKET,
  VolumeTransferReply,
  VolumeTransferRequest,
} from "@grove/protocol";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";

/** A step of a volume transfer failed: the cell said why, or did not answer. */
export class VolumeTransferFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VolumeTransferFailed";
  }
}

/** An archive of a volume's files in the volume data object store. */
export interface StoredArchive {
  bytes: number;
  sha256: string;
}

export interface TransferOptions {
  /** how long a cell has to archive or unpack a volume (default 10 min) */
  archiveTimeoutMs?: number;
  /** how long a cell has to answer one read or write (default 30 s) */
  stepTimeoutMs?: number;
}

/** The volume data bucket (made on first use); only the api reads or writes it. */
export function openVolumeData(nc: NatsConnection): Promise<ObjectStore> {
  return new Objm(nc).create(VOLUME_DATA_BUCKET);
}

/**
 * Copies volume `volumeId`'s files from `cellId` into object `name` of the volume data store: the
 * cell archives them (frozen meanwhile: one point in time; with `idle`, refused while an instance
 * there mounts it), the api reads the archive piece by piece into the store. The object is
 * replaced when it exists.
 */
export async function exportVolume(
  nc: NatsConnection,
  store: ObjectStore,
  target: { cellId: string; volumeId: string; idle: boolean },
  name: string,
  options: TransferOptions = {},
): Promise<StoredArchive> {
  const ask = asker(nc, target.cellId, randomUUID(), options);
  try {
    const archived = await ask({ type: "export", volumeId: target.volumeId, idle: target.idle }, "archive");
    const bytes = archived.bytes ?? 0;
    let offset = 0;
    const pieces = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (offset >= bytes) return controller.close();
        const length = Math.min(MAX_VOLUME_CHUNK_BYTES, bytes - offset);
        const piece = Buffer.from((await ask({ type: "read", offset, length }, "step")).data ?? "", "base64");
        if (piece.length === 0)
          throw new VolumeTransferFailed(`archive ended at ${offset} of ${bytes} bytes`);
        offset += piece.length;
        controller.enqueue(piece);
      },
    });
    const hash = createHash("sha256");
    const hashed = pieces.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          hash.update(chunk);
          controller.enqueue(chunk);
        },
      }),
    );
    await store.put({ name }, hashed);
    const sha256 = hash.digest("hex");
    if (sha256 !== archived.sha256)
      throw new VolumeTransferFailed(`archive read from the cell does not match its sha256`);
    return { bytes, sha256 };
  } finally {
    await ask({ type: "discard" }, "step").catch(() => undefined);
  }
}

/**
 * Makes volume `volumeId` on `cellId` afresh from object `name` of the volume data store: the api
 * writes the archive to the cell piece by piece, then the cell checks it and unpacks it. Refused by
 * the cell while an instance there mounts the volume.
 */
export async function importVolume(
  nc: NatsConnection,
  store: ObjectStore,
  target: { cellId: string; volumeId: string; sizeMb: number },
  name: string,
  options: TransferOptions = {},
): Promise<StoredArchive> {
  const ask = asker(nc, target.cellId, randomUUID(), options);
  try {
    const object = await store.get(name);
    if (!object) throw new VolumeTransferFailed(`volume archive ${name} is not in the store`);
    let offset = 0;
    let pending = Buffer.alloc(0);
    const hash = createHash("sha256");
    const send = async (piece: Buffer) => {
      await ask({ type: "write", offset, data: piece.toString("base64") }, "step");
      hash.update(piece);
      offset += piece.length;
    };
    for await (const chunk of object.data) {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= MAX_VOLUME_CHUNK_BYTES) {
        await send(pending.subarray(0, MAX_VOLUME_CHUNK_BYTES));
        pending = pending.subarray(MAX_VOLUME_CHUNK_BYTES);
      }
    }
    if (pending.length > 0 || offset === 0) await send(pending);
    const failed = await object.error;
    if (failed) throw new VolumeTransferFailed(`volume archive ${name} could not be read: ${failed.message}`);
    // the cell checks that what it unpacks is what the store gave (the store checked its own digest)
    const archive = { bytes: offset, sha256: hash.digest("hex") };
    const { volumeId, sizeMb } = target;
    await ask({ type: "import", volumeId, sizeMb, ...archive }, "archive");
    return archive;
  } finally {
    await ask({ type: "discard" }, "step").catch(() => undefined);
  }
}

type Action = VolumeTransferRequest["action"];

/** Asks one transfer's steps of a cell; a refusal or silence is `VolumeTransferFailed`. */
function asker(nc: NatsConnection, cellId: string, transferId: string, options: TransferOptions) {
  return async (action: Action, kind: "archive" | "step") => {
    const timeout =
      kind === "archive" ? (options.archiveTimeoutMs ?? 600_000) : (options.stepTimeoutMs ?? 30_000);
    let reply: VolumeTransferReply;
    try {
      const msg = await nc.request(
        subjects.volumeTransfers(cellId),
        encode(VolumeTransferRequest, { v: 1, transferId, action }),
        { timeout },
      );
      const decoded = decode(VolumeTransferReply, msg.data, msg.subject);
      if (!decoded.ok) throw new Error(decoded.error.message);
      reply = decoded.value;
    } catch (error) {
      throw new VolumeTransferFailed(
        `cell did not answer the volume ${action.type}: ${(error as Error).message}`,
      );
    }
    if (!reply.ok) throw new VolumeTransferFailed(reply.error ?? `cell refused the volume ${action.type}`);
    return reply;
  };
}
