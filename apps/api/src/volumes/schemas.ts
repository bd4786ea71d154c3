import { z } from "@hono/zod-openapi";
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
    cell: z
      .string()
      .nullable()
      .openapi({ description: "the cell its data lives on; null until first mounted" }),
    created_at: z.string(),
  })
  .openapi("Volume");

export const volumeView = (row: VolumeListing): z.output<typeof VolumeView> => ({
  name: row.name,
  space: row.spaceName,
  size_mb: row.sizeMb,
  shared: row.shared,
  cell: row.cellName,
  created_at: row.createdAt.toISOString(),
});
