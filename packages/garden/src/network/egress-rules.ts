import { InvalidSpec } from "../errors";
import { contains, parseAddressWithPrefix, parseIPv4 } from "./ipv4";
import { groupsGrow } from "./peer-rules";
import { StableNames } from "./stable-names";

/**
 * Where containers of the cell may open connections outside the cell bridge (Cloud Foundry's
 * application security groups). Set once (`setPolicy`), egress is default-deny: a container reaches
 * only its resolvers' DNS and the destinations an allow names; control-plane services are refused
 * before anything else unless an allow marked `controlPlane` names them. Without egress rules the
 * cell keeps Garden's open egress.
 */
export interface EgressRules {
  /** group name → container addresses (IPv4), the sources an allow may name */
  groups: Record<string, string[]>;
  allow: EgressAllow[];
  /** DNS servers every container may query (udp and tcp port 53) */
  resolvers: string[];
  /** control-plane services (api, NATS, Postgres): refused first, on any address given here */
  controlPlane: ControlPlaneService[];
}

export interface EgressAllow {
  /** a group of `groups`; absent: every container of the cell */
  from?: string;
  /** destination network, "a.b.c.d/n" or a bare address */
  to: string;
  protocol: "tcp" | "udp" | "icmp" | "all";
  /** tcp/udp only; absent: every port */
  ports?: { start: number; end: number };
  /** an operator's exception to the control-plane refusal: checked before it */
  controlPlane?: boolean;
}

export interface ControlPlaneService {
  /** "a.b.c.d/n" or a bare address */
  network: string;
  ports: { start: number; end: number };
}

const MAX_RULES = 50_000;
const PROTOCOLS = new Set(["tcp", "udp", "icmp", "all"]);

/** Throws InvalidSpec for rules nft could not take; nothing is applied then. */
export function validateEgressRules(rules: EgressRules): void {
  if (rules.allow.length > MAX_RULES) throw new InvalidSpec(`egress: more than ${MAX_RULES} rules`);
  for (const [name, addresses] of Object.entries(rules.groups)) {
    for (const address of addresses) {
      if (parseIPv4(address) === undefined)
        throw new InvalidSpec(`egress group ${name}: ${JSON.stringify(address)} is not an IPv4 address`);
    }
  }
  for (const resolver of rules.resolvers) {
    if (parseIPv4(resolver) === undefined)
      throw new InvalidSpec(`egress resolver ${JSON.stringify(resolver)} is not an IPv4 address`);
  }
  for (const service of rules.controlPlane) {
    network(service.network);
    checkPorts(service.ports);
  }
  for (const rule of rules.allow) {
    if (rule.from !== undefined && !Object.hasOwn(rules.groups, rule.from))
      throw new InvalidSpec(`egress rule names no group ${rule.from}`);
    if (!PROTOCOLS.has(rule.protocol))
      throw new InvalidSpec(`egress protocol ${String(rule.protocol)}: want tcp, udp, icmp or all`);
    network(rule.to);
    if (rule.ports !== undefined) {
      if (rule.protocol !== "tcp" && rule.protocol !== "udp")
        throw new InvalidSpec(`egress ports need protocol tcp or udp, not ${rule.protocol}`);
      checkPorts(rule.ports);
    }
  }
}

/** "a.b.c.d/n" with host bits cleared as nft wants it; InvalidSpec when it is no IPv4 network. */
function network(text: string): string {
  const parsed = parseAddressWithPrefix(text);
  if (parsed === undefined)
    throw new InvalidSpec(`egress destination ${JSON.stringify(text)}: want a.b.c.d/n`);
  const size = 2 ** (32 - parsed.prefix);
  const base = parsed.address - (parsed.address % size);
  const dotted = [24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".");
  return parsed.prefix === 32 ? dotted : `${dotted}/${parsed.prefix}`;
}

function checkPorts({ start, end }: { start: number; end: number }): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end > 65535 || start > end)
    throw new InvalidSpec(`egress ports ${start}-${end}: want 1-65535, start <= end`);
}

function portText({ start, end }: { start: number; end: number }): string {
  return start === end ? `${start}` : `${start}-${end}`;
}

function match(rule: Pick<EgressAllow, "protocol" | "ports">): string {
  if (rule.protocol === "all") return "";
  if (rule.ports === undefined) return ` meta l4proto ${rule.protocol}`;
  return ` ${rule.protocol} dport ${portText(rule.ports)}`;
}

/**
 * The nft lines of egress inside the cell's `ip` table: named source sets, and the statements that
 * decide container traffic leaving the bridge: `first` (before anything else of the chain) the
 * operator's exceptions to the control plane and its refusal; then `forward`: DNS to the resolvers,
 * the allows, and a reject for the rest.
 * `input` holds the statements for the host's own addresses (a resolver on the cell).
 */
export function egressRuleLines(
  rules: EgressRules,
  bridge: string,
): { sets: string[]; first: string[]; forward: string[]; input: string[] } {
  const br = `iifname "${bridge}"`;
  const setOf = new Map<string, string>();
  const sets: string[] = [];
  const names = new StableNames();
  for (const rule of rules.allow) {
    if (rule.from === undefined || setOf.has(rule.from)) continue;
    // by a hash of the group: a change elsewhere renames nothing (nft-delta)
    const name = names.of("egress_from_", rule.from);
    setOf.set(rule.from, name);
    const elements = [...new Set(rules.groups[rule.from] ?? [])];
    sets.push(
      `  set ${name} {`,
      "    type ipv4_addr;",
      ...(elements.length > 0 ? [`    elements = { ${elements.join(", ")} }`] : []),
      "  }",
    );
  }
  const allowLine = (rule: EgressAllow) => {
    const source = rule.from === undefined ? "" : ` ip saddr @${setOf.get(rule.from)}`;
    return `${br}${source} ip daddr ${network(rule.to)}${match(rule)} accept`;
  };
  const exceptions = rules.allow.filter((r) => r.controlPlane === true).map(allowLine);
  const refusals = rules.controlPlane.map(
    (s) => `${br} ip daddr ${network(s.network)} tcp dport ${portText(s.ports)} reject with tcp reset`,
  );
  const resolvers = [...new Set(rules.resolvers)];
  const dns =
    resolvers.length > 0
      ? [`${br} ip daddr { ${resolvers.join(", ")} } meta l4proto { tcp, udp } th dport 53 accept`]
      : [];
  const allows = rules.allow.filter((r) => r.controlPlane !== true).map(allowLine);
  return {
    sets,
    first: [...exceptions, ...refusals],
    forward: [
      ...dns,
      ...allows,
      `${br} meta l4proto tcp reject with tcp reset`,
      `${br} reject with icmp type admin-prohibited`,
    ],
    input: [...exceptions, ...dns],
  };
}

/** One connection as conntrack keeps it (its original direction). */
export interface Flow {
  protocol: string;
  source: string;
  destination: string;
  sourcePort?: number;
  destinationPort?: number;
}

/** Whether `rules` let `flow` out (DNS and the control-plane refusal included). */
export function egressAllows(rules: EgressRules, flow: Flow): boolean {
  const src = parseIPv4(flow.source);
  const dst = parseIPv4(flow.destination);
  if (src === undefined || dst === undefined) return false;
  const inNetwork = (text: string) => {
    const p = parseAddressWithPrefix(text);
    return (
      p !== undefined &&
      contains({ network: p.address - (p.address % 2 ** (32 - p.prefix)), prefix: p.prefix }, dst)
    );
  };
  const inPorts = (ports: { start: number; end: number } | undefined) =>
    ports === undefined ||
    (flow.destinationPort !== undefined &&
      flow.destinationPort >= ports.start &&
      flow.destinationPort <= ports.end);
  const allowed = (rule: EgressAllow) =>
    (rule.from === undefined || (rules.groups[rule.from] ?? []).includes(flow.source)) &&
    inNetwork(rule.to) &&
    (rule.protocol === "all" || rule.protocol === flow.protocol) &&
    inPorts(rule.ports);
  if (rules.allow.some((r) => r.controlPlane === true && allowed(r))) return true;
  if (flow.protocol === "tcp" && rules.controlPlane.some((s) => inNetwork(s.network) && inPorts(s.ports)))
    return false;
  if (
    (flow.protocol === "tcp" || flow.protocol === "udp") &&
    flow.destinationPort === 53 &&
    rules.resolvers.includes(flow.destination)
  )
    return true;
  return rules.allow.some((r) => r.controlPlane !== true && allowed(r));
}

/**
 * Whether every flow `before` lets out, `after` lets out too: open egress after, or the same
 * control-plane refusal with each allow and resolver kept and each group kept or grown. False means
 * "maybe not".
 */
export function egressWidens(before: EgressRules | undefined, after: EgressRules | undefined): boolean {
  if (after === undefined) return true;
  if (before === undefined) return false;
  if (JSON.stringify(before.controlPlane) !== JSON.stringify(after.controlPlane)) return false;
  const resolvers = new Set(after.resolvers);
  if (!before.resolvers.every((r) => resolvers.has(r))) return false;
  const kept = new Set(after.allow.map((rule) => JSON.stringify(rule)));
  if (!before.allow.every((rule) => kept.has(JSON.stringify(rule)))) return false;
  return groupsGrow(before.groups, after.groups);
}
