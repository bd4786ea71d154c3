import { z } from "zod";
import { id, port } from "./common";
import { defineMessage, versionField } from "./message";

/** A port or an inclusive range of ports. */
export const PortRange = z
  .object({ start: port, end: port })
  .refine((r) => r.start <= r.end, "start must not be above end");
export type PortRange = z.infer<typeof PortRange>;

/** Traffic a network policy allows: from any instance of one app to ports of another's. */
export const PolicyRule = z.object({
  sourceAppId: id,
  destinationAppId: id,
  protocol: z.enum(["tcp", "udp"]),
  ports: PortRange,
});
export type PolicyRule = z.infer<typeof PolicyRule>;

/** An IPv4 network "a.b.c.d/n" (or a bare address). */
export const Ipv4Network = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/, "must be an IPv4 network a.b.c.d/n")
  .refine((text) => {
    const [address = "", prefix] = text.split("/");
    return (
      address.split(".").every((octet) => Number(octet) <= 255) &&
      (prefix === undefined || Number(prefix) <= 32)
    );
  }, "must be an IPv4 network a.b.c.d/n");

export const EgressProtocol = z.enum(["tcp", "udp", "icmp", "all"]);
export type EgressProtocol = z.infer<typeof EgressProtocol>;

/** A destination containers may open connections to (Cloud Foundry's security group rule). */
export const EgressRule = z.object({
  /** a group of the slice's `groups` (a tenant or a space); absent: every container (platform) */
  group: id.optional(),
  network: Ipv4Network,
  protocol: EgressProtocol,
  /** tcp/udp only; absent: every port */
  ports: PortRange.optional(),
  /** an operator's exception to the control-plane refusal */
  controlPlane: z.boolean().optional(),
});
export type EgressRule = z.infer<typeof EgressRule>;

/**
 * Egress of one cell's containers: default deny but DNS to the cell's resolvers; `rules` open
 * destinations; `controlPlane` (the api, NATS and Postgres on every address they may be reached at)
 * is refused before anything else unless a rule marked `controlPlane` names it.
 */
export const EgressSlice = z.object({
  groups: z.array(z.object({ id, addresses: z.array(z.ipv4()).max(10_000) })).max(10_000),
  rules: z.array(EgressRule).max(50_000),
  controlPlane: z.array(z.object({ network: Ipv4Network, ports: PortRange })).max(10_000),
});
export type EgressSlice = z.infer<typeof EgressSlice>;

/**
 * The whole of the network policy one cell enforces, replacing what it enforced before: `rules` are
 * the policies whose source or destination app has instances on the cell; `apps` give the container
 * addresses of every app a rule names; `egress` what its containers may reach outside. Between apps
 * no rule names, nothing passes. `revision` is Postgres's policy revision it was read at: a cell
 * ignores a slice older than the one it enforces.
 */
export const PolicySlice = z.object({
  revision: z.int().nonnegative(),
  apps: z.array(z.object({ appId: id, addresses: z.array(z.ipv4()).max(10_000) })).max(10_000),
  rules: z.array(PolicyRule).max(50_000),
  egress: EgressSlice,
});
export type PolicySlice = z.output<typeof PolicySlice>;

/** agent → api on `subjects.policySlice(cellId)` (request/reply): the slice this cell enforces, please. */
export const PolicySliceRequest = defineMessage(
  "policy.slice.request",
  z.object({
    v: versionField,
    cellId: id,
    /** the revision the cell enforces (-1: none yet), for the api's logs */
    enforced: z.int().min(-1),
  }),
);
export type PolicySliceRequest = z.output<typeof PolicySliceRequest.schema>;

/** api → agent: the cell's slice, or why there is none. */
export const PolicySliceReply = defineMessage(
  "policy.slice.reply",
  z.discriminatedUnion("ok", [
    z.object({ v: versionField, ok: z.literal(true), slice: PolicySlice }),
    z.object({ v: versionField, ok: z.literal(false), error: z.string().max(1024) }),
  ]),
);
export type PolicySliceReply = z.output<typeof PolicySliceReply.schema>;

/**
 * api → every cell on `subjects.policyChanged`: the network policy (or the addresses it names)
 * changed at `revision`; each cell pulls its slice unless it enforces a newer one. Carries nothing
 * else, so every cell may hear it.
 */
export const PolicyChanged = defineMessage(
  "policy.changed",
  z.object({ v: versionField, revision: z.int().nonnegative() }),
);
export type PolicyChanged = z.output<typeof PolicyChanged.schema>;
