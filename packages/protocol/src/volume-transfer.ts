import { z } from "zod";
import { count, id } from "./common";
import { defineMessage, versionField } from "./message";

/** Largest piece of a volume archive (before base64) one read or write carries. */
export const MAX_VOLUME_CHUNK_BYTES = 384 * 1024;

/** JetStream object store holding volume archives: snapshots and data on its way between cells. */
export const VOLUME_DATA_BUCKET = "grove-volume-data";

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 hex digits");

/**
 * api → agent on `subjects.volumeTransfers(cellId)` (request/reply → `VolumeTransferReply`). The api
 * drives every transfer; a cell only answers, so volume data never travels on a subject another
 * cell may hear, and only the api reads or writes the object store.
 * - `export`: archive (tar) the volume's files into the transfer's spool, the filesystem frozen
 *   meanwhile so the archive is one point in time; `idle` refuses while an instance here mounts it.
 * - `read`: `length` bytes of the spool from `offset`.
 * - `write`: bytes at `offset` of the spool of an import.
 * - `import`: check the spool's size and sha256, make the volume afresh and unpack it there.
 * - `discard`: remove the spool (done or given up).
 */
export const VolumeTransferRequest = defineMessage(
  "volumes.transfer",
  z.object({
    v: versionField,
    transferId: id,
    action: z.discriminatedUnion("type", [
      z.object({ type: z.literal("export"), volumeId: id, idle: z.boolean().default(false) }),
      z.object({
        type: z.literal("read"),
        offset: count,
        length: z.int().min(1).max(MAX_VOLUME_CHUNK_BYTES),
      }),
      z.object({
        type: z.literal("write"),
        offset: count,
        data: base64.max(Math.ceil(MAX_VOLUME_CHUNK_BYTES / 3) * 4),
      }),
      z.object({
        type: z.literal("import"),
        volumeId: id,
        sizeMb: z
          .int()
          .positive()
          .max(1024 * 1024),
        bytes: count,
        sha256,
      }),
      z.object({ type: z.literal("discard") }),
    ]),
  }),
);
export type VolumeTransferRequest = z.output<typeof VolumeTransferRequest.schema>;

/** agent → api: the outcome; an export says the archive's size and digest, a read carries bytes. */
export const VolumeTransferReply = defineMessage(
  "volumes.transfer.reply",
  z.object({
    v: versionField,
    ok: z.boolean(),
    error: z.string().max(4096).optional(),
    bytes: count.optional(),
    sha256: sha256.optional(),
    data: base64.optional(),
  }),
);
export type VolumeTransferReply = z.output<typeof VolumeTransferReply.schema>;
