import { z } from "@hono/zod-openapi";
import type { SnapshotRow } from "../repo/volume-snapshots";
import type { VolumeListing } from "../repo/volumes";

/** A volume's name: a DNS label, like an app's. */
export const VolumeName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits, '-'")
  .openapi({ example: "uploads" });

/** From 1 MB to 1 TB. */
const SizeMb = z
  .int()
  .min(1)
  .max(1024 * 1024)
  .openapi({ description: "size in MB, enforced by the kernel", example: 1024 });

export const CreateVolumeBody = z
  .object({
    name: VolumeName,
    space: VolumeName.default("default").openapi({
      description: "the space whose apps may mount it",
      example: "default",
    }),
    size_mb: SizeMb,
    shared: z.boolean().default(false).openapi({
      description: "several instances on its cell may mount it at once (default: one at a time)",
    }),
  })
  .strict()
  .openapi("CreateVolume");

export const VolumeView = z
  .object({
    name: z.string(),
    space: z.string(),
    size_mb: z.int(),
    shared: z.boolean(),
    cell: z.string().nullable().openapi({
      description: "the cell its data lives on; null until first mounted, and while its data is on its way",
    }),
    state: z.enum(["ready", "moving", "restoring"]).openapi({
      description:
        "moving: its cell is draining; its instances stop, the data is copied to another cell and they start there. restoring: a snapshot is copied onto the cell its next instance lands on",
    }),
    reason: z
      .string()
      .nullable()
      .openapi({ description: "why the last copy of its data failed (tried again)" }),
    created_at: z.string(),
  })
  .openapi("Volume");

export const volumeView = (row: VolumeListing): z.output<typeof VolumeView> => ({
  name: row.name,
  space: row.spaceName,
  size_mb: row.sizeMb,
  shared: row.shared,
  cell: row.cellName,
  state: row.state,
  reason: row.reason,
  created_at: row.createdAt.toISOString(),
});

export const CreateSnapshotBody = z
  .object({
    name: VolumeName.optional().openapi({ description: "default: the time, e.g. 2026-12-06t11-59-42z" }),
  })
  .strict()
  .openapi("CreateSnapshot");

export const RestoreBody = z
  .object({ snapshot: VolumeName.openapi({ description: "the snapshot of this volume to restore" }) })
  .strict()
  .openapi("RestoreVolume");

export const SnapshotView = z
  .object({
    name: z.string(),
    volume: z.string(),
    size_mb: z
      .int()
      .openapi({ description: "what it counts against the volume_mb quota: its volume's size" }),
    bytes: z.int().openapi({ description: "the size of its archive in the object store" }),
    sha256: z.string(),
    created_at: z.string(),
  })
  .openapi("VolumeSnapshot");

export const snapshotView = (row: SnapshotRow, volume: string): z.output<typeof SnapshotView> => ({
  name: row.name,
  volume,
  size_mb: row.sizeMb,
  bytes: row.bytes,
  sha256: row.sha256,
  created_at: row.createdAt.toISOString(),
});
