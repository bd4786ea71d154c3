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
});
export type ApplyPolicy = z.output<typeof ApplyPolicy>;
