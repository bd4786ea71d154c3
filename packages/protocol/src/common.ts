import { z } from "zod";

/**
 * Ids of cells, apps, instances and tenants. Restricted to characters that are safe as one NATS
 * subject token, because several of them are embedded in subjects.
 */
export const idPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** An id that is also a valid NATS subject token. */
export const id = z.string().regex(idPattern, "must be 1-128 of [A-Za-z0-9_-], starting alphanumeric");

/** An ISO 8601 UTC timestamp with optional fraction, e.g. `2026-11-28T10:00:00.000Z`. */
export const isoTimestamp = z.iso.datetime();

/** Content address of uploaded app bits. */
export const bitsDigest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex>");

/** A non-negative whole number (sizes, counts). */
export const count = z.int().nonnegative();

/** A TCP port; 0 is not a port. */
export const port = z.int().min(1).max(65535);

/** An amount of the three placement resources of a cell. */
export const Resources = z.object({
  memoryMb: count,
  diskMb: count,
  containers: count,
});
export type Resources = z.infer<typeof Resources>;

/** Tags and stack names: short lowercase words such as `gpu`, `ssd`, `busybox`. */
export const label = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be a lowercase label");

/** Lifecycle states an instance reports. */
export const InstanceState = z.enum(["STARTING", "RUNNING", "CRASHED", "STOPPED"]);
export type InstanceState = z.infer<typeof InstanceState>;

/** A container port and the cell port it is mapped to. */
export const PortMapping = z.object({ containerPort: port, hostPort: port });
export type PortMapping = z.infer<typeof PortMapping>;

/** A cell's curve (X25519) public key in nkeys form, which registry credentials are sealed for. */
export const sealKey = z.string().regex(/^X[A-Z2-7]{55}$/, "must be an nkeys curve public key");
