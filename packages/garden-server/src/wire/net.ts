import { isIP } from "node:net";
import type { NetInMapping, NetOutRule } from "@grove/garden";
import { z } from "zod";
import { goSlice, goStruct, omitEmpty, uint8, uint16, uint32 } from "./go-json";

const protocols = ["all", "tcp", "udp", "icmp"] as const;

/** Go marshals net.IP as its text form; an unparsable address fails decoding. */
const ipAddress = z.string().refine((s) => isIP(s) !== 0, "expected an IP address");

export const wireIPRange = goStruct({ start: ipAddress, end: ipAddress });
export const wirePortRange = goStruct({ start: uint16, end: uint16 });
export const wireNetOutRule = goStruct({
  protocol: uint8.max(4, "protocol must be 0 (all), 1 (tcp), 2 (udp), 3 (icmp) or 4 (icmpv6)"),
  networks: goSlice(wireIPRange),
  ports: goSlice(wirePortRange),
  icmps: goStruct({ type: uint8, code: uint8 }),
  log: z.boolean(),
});
export const wireNetOutRules = goSlice(wireNetOutRule);

/** transport.NetInRequest; `handle` is sent by the client but the path's handle is authoritative. */
export const wireNetInRequest = goStruct({ handle: z.string(), host_port: uint32, container_port: uint32 });
/** garden.NetIn as used in ContainerSpec.netin */
export const wireNetIn = goStruct({ host_port: uint32, container_port: uint32 });

export class UnsupportedNetOut extends Error {}

export function netOutRuleFromWire(wire: z.infer<typeof wireNetOutRule>): NetOutRule {
  const protocol = protocols[wire.protocol ?? 0];
  // The runtime has no IPv6 egress rules; saying so beats silently allowing nothing.
  if (protocol === undefined) throw new UnsupportedNetOut("netout protocol icmpv6 is not supported");
  const rule: NetOutRule = { protocol };
  // Go leaves a missing bound at its zero value; a one-sided range means a single address/port.
  const networks = (wire.networks ?? []).map((r) => ({
    start: r.start ?? r.end ?? "0.0.0.0",
    end: r.end ?? r.start ?? "0.0.0.0",
  }));
  if (networks.length > 0) rule.networks = networks;
  const ports = (wire.ports ?? []).map((r) => ({ start: r.start ?? 0, end: r.end ?? r.start ?? 0 }));
  if (ports.length > 0) rule.ports = ports;
  if (wire.icmps) {
    rule.icmps = { type: wire.icmps.type ?? 0 };
    if (wire.icmps.code !== undefined) rule.icmps.code = wire.icmps.code;
  }
  if (wire.log) rule.log = true;
  return rule;
}

export function netInFromWire(wire: z.infer<typeof wireNetIn>): NetInMapping {
  return { hostPort: wire.host_port ?? 0, containerPort: wire.container_port ?? 0 };
}

/** transport.NetInResponse (both fields omitempty) */
export function netInResponseToWire(mapping: NetInMapping) {
  return omitEmpty({ host_port: mapping.hostPort, container_port: mapping.containerPort });
}
