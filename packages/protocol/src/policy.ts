import { z } from "zod";
import { id, port } from "./common";

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
 * api → agent (a cell command): the whole of the network policy this cell enforces, replacing what
 * it enforced before. `rules` are the policies whose destination app has instances on the cell;
 * `apps` give the container addresses of every app a rule names. Idempotent; a cell ignores a
 * version lower than the one it applied last. Between apps no rule names, nothing passes.
 */
export const ApplyPolicy = z.object({
  type: z.literal("apply-policy"),
  version: z.int().nonnegative(),
  apps: z.array(z.object({ appId: id, addresses: z.array(z.ipv4()).max(10_000) })).max(10_000),
  rules: z.array(PolicyRule).max(50_000),
  /** absent (an older api): egress stays as it is */
  egress: EgressSlice.optional(),
});
export type ApplyPolicy = z.output<typeof ApplyPolicy>;
