import { type EgressRules, egressRuleLines } from "./egress-rules";
import { netOutStatements } from "./netout";
import { type PeerRules, peerRuleLines } from "./peer-rules";
import { OUTBOUND_VERDICT } from "./policy";
import type { ContainerRecord } from "./state";

export interface RulesetInput {
  /** nft table name (one `ip` and one `bridge` table of that name) */
  table: string;
  bridge: string;
  /** "10.254.0.0/22" */
  subnet: string;
  externalIP: string;
  containers: ContainerRecord[];
  /** containers reach each other only where `peerRules` allow */
  isolateContainers: boolean;
  peerRules: PeerRules;
  /** where containers may go outside the bridge; absent: anywhere (Garden's open egress) */
  egress?: EgressRules;
  /** the range of every host's container subnet (`overlay.cidr`): routed without NAT, isolated by peer rules */
  overlay?: string | undefined;
}

export function egressChain(id: string): string {
  return `egress_${id}`;
}

/**
 * The whole nft script for one networker. It creates-then-deletes-then-recreates both tables in one
 * transaction, so `nft -f` swaps the old rules for the new atomically (FACTS: flush-then-load loses
 * new connections, one-transaction replacement loses none), and works whether or not they existed.
 */
export function renderRuleset(input: RulesetInput): string {
  const lines = [
    ...replaceTable("ip", input.table),
    ...ipTable(input),
    ...replaceTable("bridge", input.table),
    ...bridgeTable(input),
  ];
  return `${lines.join("\n")}\n`;
}

/** Script removing both tables (a missing table is fine: it is created empty first). */
export function renderTeardown(table: string): string {
  return `${[...replaceTable("ip", table), ...replaceTable("bridge", table)].join("\n")}\n`;
}

function replaceTable(family: "ip" | "bridge", table: string): string[] {
  return [`table ${family} ${table} {}`, `delete table ${family} ${table}`];
}

function ipTable(input: RulesetInput): string[] {
  const br = quote(input.bridge);
  const ready = input.containers.filter((c) => c.status === "up" && c.containerIP !== undefined);
  const lines: string[] = [`table ip ${input.table} {`];

  for (const c of ready) {
    lines.push(`  chain ${egressChain(c.id)} {`);
    for (const statement of netOutStatements(c.netOut, `${input.table}-${c.id}`))
      lines.push(`    ${statement}`);
    lines.push("  }");
  }

  // One map lookup per new connection, however many ports are mapped.
  const portMap = ready.flatMap((c) =>
    c.mappedPorts.map((m) => `${m.hostPort} : ${c.containerIP} . ${m.containerPort}`),
  );
  const dnat = portMap.length > 0 ? [`dnat ip to tcp dport map { ${portMap.join(", ")} }`] : [];
  lines.push(
    "  chain prerouting {",
    "    type nat hook prerouting priority dstnat; policy accept;",
    ...dnat.map((d) => `    ip daddr ${input.externalIP} ${d}`),
    "  }",
    // Connections made on the host itself (to the external address, loopback or any local address).
    "  chain output {",
    "    type nat hook output priority -100; policy accept;",
    ...dnat.map((d) => `    fib daddr type local ${d}`),
    "  }",
    "  chain postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
    // containers of other hosts see a container's own address (its identity for their peer rules)
    `    ip saddr ${input.subnet} ${input.overlay ? `ip daddr != ${input.overlay} ` : ""}oifname != ${br} masquerade`,
    // Hairpin: a container reaching a NetIn port of the cell must see the reply come from the cell.
    `    oifname ${br} ip saddr ${input.subnet} ct status dnat masquerade`,
    // Host-local clients on 127.0.0.1 (routable to the bridge thanks to route_localnet).
    `    oifname ${br} ip saddr 127.0.0.0/8 masquerade`,
    "  }",
  );

  // a named map: a container coming or going changes its elements only, not the chains (nft-delta)
  const vmap = ready.map((c) => `${c.containerIP} : jump ${egressChain(c.id)}`);
  const overlay = input.overlay;
  const peers = input.isolateContainers
    ? peerRuleLines(input.peerRules, input.bridge, overlay !== undefined)
    : undefined;
  const sameBridge = peers
    ? [
        ...peers.accepts,
        // a NetIn port of the cell (the container's public face, as the router uses it) stays open
        `iifname ${br} oifname ${br} ct status dnat accept`,
        `iifname ${br} oifname ${br} drop`,
        // containers of other hosts, either way, only where a peer rule accepted above
        ...(overlay
          ? [`iifname ${br} ip daddr ${overlay} drop`, `oifname ${br} ip saddr ${overlay} drop`]
          : []),
      ]
    : [`iifname ${br} oifname ${br} accept`];
  const egress = input.egress ? egressRuleLines(input.egress, input.bridge) : undefined;
  const outbound = egress?.forward ?? [`iifname ${br} ${OUTBOUND_VERDICT}`];
  // with policy, a packet conntrack cannot place (a cut flow's next segment) never gets in anew
  const invalid = peers || egress ? ["ct state invalid drop"] : [];
  lines.push(
    ...(peers?.declarations ?? []),
    ...(egress?.sets ?? []),
    "  map container_egress {",
    "    type ipv4_addr : verdict;",
    ...(vmap.length > 0 ? [`    elements = { ${vmap.join(", ")} }`] : []),
    "  }",
    // Host protection: nothing from a container reaches a host address unless its NetOut accepts it.
    "  chain input {",
    "    type filter hook input priority filter; policy accept;",
    `    iifname ${br} ct state established,related accept`,
    ...(egress?.input ?? []).map((line) => `    ${line}`),
    `    iifname ${br} ip saddr vmap @container_egress`,
    `    iifname ${br} meta l4proto tcp reject with tcp reset`,
    `    iifname ${br} reject with icmp type admin-prohibited`,
    // containers of other hosts reach no address of this host either
    ...(overlay ? [`    iifname != ${br} ip saddr ${overlay} ct state new drop`] : []),
    "  }",
    "  chain forward {",
    "    type filter hook forward priority filter; policy accept;",
    "    ct state established,related accept",
    ...invalid.map((line) => `    ${line}`),
    ...(egress?.first ?? []).map((line) => `    ${line}`),
    // Container↔container on the bridge (bridged, seen here through br_netfilter).
    ...sameBridge.map((line) => `    ${line}`),
    `    iifname ${br} ip saddr vmap @container_egress`,
    ...outbound.map((line) => `    ${line}`),
    "  }",
    "}",
  );
  return lines;
}

/**
 * Anti-spoofing at the bridge ports: a container port may only send IPv4 and ARP with the address it
 * was given; everything else from it (forged sources, IPv6 — the filter above is IPv4-only — other
 * ethertypes) is dropped. Source-IP identity is what policies will match on, so it must not be
 * forgeable with CAP_NET_RAW. Set lookups keep this O(1) per frame.
 */
function bridgeTable(input: RulesetInput): string[] {
  const bound = input.containers.filter((c) => c.hostVeth !== undefined && c.containerIP !== undefined);
  const ports = bound.map((c) => quote(c.hostVeth as string));
  const bindings = bound.map((c) => `${quote(c.hostVeth as string)} . ${c.containerIP}`);
  return [
    `table bridge ${input.table} {`,
    "  set container_ports {",
    "    type ifname;",
    ...(ports.length > 0 ? [`    elements = { ${ports.join(", ")} }`] : []),
    "  }",
    "  set bindings {",
    "    type ifname . ipv4_addr;",
    ...(bindings.length > 0 ? [`    elements = { ${bindings.join(", ")} }`] : []),
    "  }",
    "  chain prerouting {",
    "    type filter hook prerouting priority filter; policy accept;",
    "    iifname != @container_ports accept",
    "    ether type ip iifname . ip saddr @bindings accept",
    "    ether type arp iifname . arp saddr ip @bindings accept",
    "    drop",
    "  }",
    "}",
  ];
}

function quote(name: string): string {
  return `"${name}"`;
}
