import { z } from "zod";
import { id } from "./common";

/** The zone app-internal names live in: `<app>.<space>.<tenant>.internal`. */
export const INTERNAL_ZONE = "internal";

/** A lower-case DNS name of the internal zone, without the trailing dot. */
export const InternalName = z
  .string()
  .max(253)
  .regex(
    /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+internal$/,
    "must be a lower-case DNS name in the internal zone",
  );

/**
 * api → agent (a cell command): the app-internal names of every tenant with an instance on the cell,
 * each with the container addresses of its app's RUNNING instances (on any cell). The cell's resolver
 * answers a container only from its own tenant's names. Replaces what the cell had; idempotent; a
 * version lower than the last applied is ignored. Sent by the leader each round and on changes.
 */
export const ApplyNames = z.object({
  type: z.literal("apply-names"),
  version: z.int().nonnegative(),
  tenants: z
    .array(
      z.object({
        tenantId: id,
        names: z
          .array(z.object({ name: InternalName, addresses: z.array(z.ipv4()).max(10_000) }))
          .max(100_000),
      }),
    )
    .max(10_000),
});
export type ApplyNames = z.output<typeof ApplyNames>;
