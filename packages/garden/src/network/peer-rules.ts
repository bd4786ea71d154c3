import { InvalidSpec } from "../errors";
import { parseIPv4 } from "./ipv4";
import { StableNames } from "./stable-names";

/**
 * Which containers of the cell may open connections to which others, when the networker isolates
 * containers (`isolateContainers`). Containers are named by address, in groups; a rule lets any
 * address of `from` open a connection to `ports` of any address of `to`. Replies of an accepted
 * connection flow back; everything else between containers is dropped.
 */
export interface PeerRules {
  /** group name → container addresses (IPv4) */
  groups: Record<string, string[]>;
  allow: PeerAllow[];
}

export interface PeerAllow {
  /** group names in `groups` */
  from: string;
  to: string;
  protocol: "tcp" | "udp";
  ports: { start: number; end: number };
}

export const NO_PEER_RULES: PeerRules = { groups: {}, allow: [] };

const MAX_GROUPS = 10_000;
const MAX_RULES = 50_000;

/** Throws InvalidSpec for rules nft could not take or that name a group they do not define. */
export function validatePeerRules(rules: PeerRules): void {
  const groups = Object.entries(rules.groups);
  if (groups.length > MAX_GROUPS) throw new InvalidSpec(`peer rules: more than ${MAX_GROUPS} groups`);
  if (rules.allow.length > MAX_RULES) throw new InvalidSpec(`peer rules: more than ${MAX_RULES} rules`);
  for (const [name, addresses] of groups) {
    for (const address of addresses) {
      if (parseIPv4(address) === undefined)
        throw new InvalidSpec(`peer group ${name}: ${JSON.stringify(address)} is not an IPv4 address`);
    }
  }
  for (const rule of rules.allow) {
    for (const group of [rule.from, rule.to]) {
      if (!Object.hasOwn(rules.groups, group)) throw new InvalidSpec(`peer rule names no group ${group}`);
    }
    if (rule.protocol !== "tcp" && rule.protocol !== "udp")
      throw new InvalidSpec(`peer rule protocol ${String(rule.protocol)}: want tcp or udp`);
    const { start, end } = rule.ports;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end > 65535 || start > end)
      throw new InvalidSpec(`peer rule ports ${start}-${end}: want 1-65535, start <= end`);
  }
}

/**
 * The nft lines of the peer rules inside the cell's `ip` table, shaped so a new connection costs one
 * map lookup and the few rules of its destination, however many rules there are: a named set of
 * addresses per source group; one chain per distinct set of rules an address is the destination of,
 * holding those rules' accepts (source set, protocol, ports); and a verdict map from destination
 * address to its chain. Sets and chains are named by a hash of their group or rules (group names need
 * not be nft identifiers), so a change elsewhere renames nothing and the update stays small (nft-delta).
 * `declarations` go before the hook chains, `accepts` into the `forward` chain of bridged
 * container↔container packets. With `overlay` (containers of other hosts are routed to) a rule
 * matches by addresses alone, whichever way the packet came: bridge to bridge, bridge to a remote
 * host, or a remote host to the bridge.
 */
export function peerRuleLines(
  rules: PeerRules,
  bridge: string,
  overlay = false,
): { declarations: string[]; accepts: string[] } {
  const setOf = new Map<string, string>();
  const declarations: string[] = [];
  const names = new StableNames();
  for (const rule of rules.allow) {
    if (setOf.has(rule.from)) continue;
    const name = names.of("peers_", rule.from);
    setOf.set(rule.from, name);
    const elements = [...new Set(rules.groups[rule.from] ?? [])];
    declarations.push(
      `  set ${name} {`,
      "    type ipv4_addr;",
      ...(elements.length > 0 ? [`    elements = { ${elements.join(", ")} }`] : []),
      "  }",
    );
  }
  // destination address → the rules that let something reach it, in rule order
  const rulesTo = new Map<string, number[]>();
  rules.allow.forEach((rule, index) => {
    for (const address of new Set(rules.groups[rule.to] ?? [])) {
      const list = rulesTo.get(address) ?? [];
      rulesTo.set(address, list);
      list.push(index);
    }
  });
  const chainOf = new Map<string, string>();
  const elements: string[] = [];
  for (const [address, indices] of rulesTo) {
    const key = indices.join(",");
    let chain = chainOf.get(key);
    if (chain === undefined) {
      const body = indices.map((i) => {
        const rule = rules.allow[i] as PeerAllow;
        const { start, end } = rule.ports;
        const ports = start === end ? `${start}` : `${start}-${end}`;
        return `    ip saddr @${setOf.get(rule.from)} ${rule.protocol} dport ${ports} accept`;
      });
      chain = names.of("peer_to_", body.join("\n"));
      chainOf.set(key, chain);
      declarations.push(`  chain ${chain} {`, ...body, "  }");
    }
    elements.push(`${address} : jump ${chain}`);
  }
  if (elements.length === 0) return { declarations, accepts: [] };
  declarations.push(
    "  map peer_to {",
    "    type ipv4_addr : verdict;",
    `    elements = { ${elements.join(", ")} }`,
    "  }",
  );
  const where = overlay ? "" : `iifname "${bridge}" oifname "${bridge}" `;
  return { declarations, accepts: [`${where}ip daddr vmap @peer_to`] };
}

/** Whether a peer rule lets `flow` (a connection's original direction) through. */
export function peerAllows(
  rules: PeerRules,
  flow: { protocol: string; source: string; destination: string; destinationPort?: number },
): boolean {
  return rules.allow.some(
    (rule) =>
      rule.protocol === flow.protocol &&
      (rules.groups[rule.from] ?? []).includes(flow.source) &&
      (rules.groups[rule.to] ?? []).includes(flow.destination) &&
      flow.destinationPort !== undefined &&
      flow.destinationPort >= rule.ports.start &&
      flow.destinationPort <= rule.ports.end,
  );
}

/**
 * Whether every flow `before` allows, `after` allows too (each rule kept as it was, each group kept
 * or grown): then a change from one to the other cuts no open connection and conntrack need not be
 * read. False means "maybe not", never a wrong "yes".
 */
export function peerRulesWiden(before: PeerRules, after: PeerRules): boolean {
  const kept = new Set(after.allow.map((rule) => JSON.stringify(ruleKey(rule))));
  if (!before.allow.every((rule) => kept.has(JSON.stringify(ruleKey(rule))))) return false;
  return groupsGrow(before.groups, after.groups);
}

function ruleKey(rule: PeerAllow) {
  return [rule.from, rule.to, rule.protocol, rule.ports.start, rule.ports.end];
}

/** Each group of `before` is in `after` with at least its addresses. */
export function groupsGrow(before: Record<string, string[]>, after: Record<string, string[]>): boolean {
  return Object.entries(before).every(([name, addresses]) => {
    if (addresses.length === 0) return true;
    const now = Object.hasOwn(after, name) ? new Set(after[name]) : undefined;
    return now !== undefined && addresses.every((address) => now.has(address));
  });
}
