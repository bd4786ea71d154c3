import { pino } from "pino";
import { describe, expect, test } from "vitest";
import { InvalidSpec } from "../src/errors";
import { resolveNetworkerConfig } from "../src/network/config";
import {
  InvalidNetOutRule,
  InvalidNetwork,
  InvalidNetworkerConfig,
  PortInUse,
  PortPoolExhausted,
} from "../src/network/errors";
import { formatIPv4, parseAddressWithPrefix, parseIPv4 } from "../src/network/ipv4";
import { netOutStatements } from "../src/network/netout";
import { NO_PEER_RULES, type PeerRules, peerRulesWiden, validatePeerRules } from "../src/network/peer-rules";
import { addMapping, pickFreePort } from "../src/network/ports";
import { requestedAddress } from "../src/network/requested-network";
import { renderRuleset } from "../src/network/ruleset";
import { StableNames } from "../src/network/stable-names";
import { type ContainerRecord, emptyState } from "../src/network/state";

const cell = { network: parseIPv4("10.254.0.0") as number, prefix: 22 };
const gateway = cell.network + 1;

function record(handle: string, over: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    handle,
    id: `id${handle}`,
    netnsName: `n-${handle}`,
    netnsPath: `/run/netns/n-${handle}`,
    status: "up",
    containerIP: "10.254.0.2",
    hostVeth: "veth1234",
    mappedPorts: [],
    netOut: [],
    ...over,
  };
}

describe("IPv4 parsing", () => {
  test("round-trips dotted quads and rejects malformed ones", () => {
    expect(formatIPv4(parseIPv4("10.254.3.255") as number)).toBe("10.254.3.255");
    for (const bad of ["10.0.0", "10.0.0.256", "01.2.3.4", "a.b.c.d", "1.2.3.4.5"])
      expect(parseIPv4(bad)).toBeUndefined();
    expect(parseAddressWithPrefix("10.0.0.1/33")).toBeUndefined();
    expect(parseAddressWithPrefix("10.0.0.1")).toEqual({ address: parseIPv4("10.0.0.1"), prefix: 32 });
  });
});

describe("requested container network", () => {
  test("an address with host bits asks for exactly that address", () => {
    expect(requestedAddress("10.254.2.77/30", cell, gateway)).toEqual({ ip: "10.254.2.77" });
    expect(requestedAddress("10.254.2.77", cell, gateway)).toEqual({ ip: "10.254.2.77" });
  });
  test("a range asks for its usable addresses", () => {
    expect(requestedAddress("10.254.3.64/30", cell, gateway)).toEqual({
      rangeStart: "10.254.3.65",
      rangeEnd: "10.254.3.66",
    });
  });
  test("no network means any address", () => {
    expect(requestedAddress(undefined, cell, gateway)).toBeUndefined();
    expect(requestedAddress("", cell, gateway)).toBeUndefined();
  });
  test("ranges outside the cell, the gateway and garbage are refused", () => {
    expect(() => requestedAddress("10.254.4.1/30", cell, gateway)).toThrow(InvalidNetwork);
    expect(() => requestedAddress("10.0.0.0/8", cell, gateway)).toThrow(InvalidNetwork);
    expect(() => requestedAddress("10.254.0.1/22", cell, gateway)).toThrow(/reserved/);
    expect(() => requestedAddress("nonsense", cell, gateway)).toThrow(InvalidNetwork);
  });
});

describe("NetIn port pool", () => {
  const pool = { start: 61001, end: 61003 };
  test("searches from the cursor and wraps, so a released port is not reissued at once", () => {
    expect(pickFreePort(new Set([61002]), pool, 61002)).toBe(61003);
    expect(pickFreePort(new Set([61003]), pool, 61003)).toBe(61001);
    expect(() => pickFreePort(new Set([61001, 61002, 61003]), pool, 61001)).toThrow(PortPoolExhausted);
  });
  test("allocates distinct ports, defaults the container port and refuses a held host port", () => {
    const state = emptyState(pool.start);
    state.containers.a = record("a");
    state.containers.b = record("b");
    const first = addMapping(state, "a", pool, 0, 8080);
    const second = addMapping(state, "b", pool, 0, 0);
    expect(first).toEqual({ hostPort: 61001, containerPort: 8080 });
    expect(second).toEqual({ hostPort: 61002, containerPort: 61002 });
    expect(() => addMapping(state, "b", pool, 61001, 8080)).toThrow(PortInUse);
    expect(addMapping(state, "a", pool, 61001, 8080)).toEqual(first);
    expect(state.containers.a?.mappedPorts).toHaveLength(1);
  });
});

describe("NetOut rules as nft statements", () => {
  test("each Garden rule becomes one accept with its networks, ports and icmp fields", () => {
    expect(
      netOutStatements(
        [
          { protocol: "all" },
          {
            protocol: "tcp",
            networks: [{ start: "10.0.0.1", end: "10.0.0.9" }],
            ports: [{ start: 80, end: 80 }],
          },
          {
            protocol: "udp",
            networks: [
              { start: "1.1.1.1", end: "1.1.1.1" },
              { start: "2.0.0.0", end: "2.0.0.255" },
            ],
            ports: [
              { start: 53, end: 53 },
              { start: 1000, end: 2000 },
            ],
            log: true,
          },
          { protocol: "icmp", icmps: { type: 8, code: 0 } },
        ],
        "cell-abc",
      ),
    ).toEqual([
      "accept",
      "ip daddr 10.0.0.1-10.0.0.9 tcp dport 80 accept",
      'ip daddr { 1.1.1.1, 2.0.0.0-2.0.0.255 } udp dport { 53, 1000-2000 } log prefix "cell-abc " accept',
      "meta l4proto icmp icmp type 8 icmp code 0 accept",
    ]);
  });
  test("rules that cannot mean anything are refused", () => {
    const bad = [
      { protocol: "all" as const, ports: [{ start: 80, end: 80 }] },
      { protocol: "tcp" as const, icmps: { type: 8 } },
      { protocol: "tcp" as const, networks: [{ start: "10.0.0.9", end: "10.0.0.1" }] },
      { protocol: "tcp" as const, networks: [{ start: "nope", end: "10.0.0.1" }] },
      { protocol: "udp" as const, ports: [{ start: 0, end: 70000 }] },
      { protocol: "icmp" as const, icmps: { type: 300 } },
    ];
    for (const rule of bad) expect(() => netOutStatements([rule], "p")).toThrow(InvalidNetOutRule);
  });
});

describe("rendered ruleset", () => {
  const script = renderRuleset({
    table: "cell",
    bridge: "br0",
    subnet: "10.254.0.0/22",
    externalIP: "192.0.2.10",
    containers: [
      record("a", {
        mappedPorts: [{ hostPort: 61001, containerPort: 8080 }],
        netOut: [{ protocol: "tcp", ports: [{ start: 5432, end: 5432 }] }],
      }),
      record("b", { status: "creating", containerIP: undefined, hostVeth: undefined }),
    ],
    isolateContainers: false,
    peerRules: NO_PEER_RULES,
  });
  test("replaces both tables in one script", () => {
    expect(script.startsWith("table ip cell {}\ndelete table ip cell\n")).toBe(true);
    expect(script).toContain("table bridge cell {}\ndelete table bridge cell\n");
  });
  test("DNATs NetIn ports for the external address and for the host's own connections", () => {
    expect(script).toContain("ip daddr 192.0.2.10 dnat ip to tcp dport map { 61001 : 10.254.0.2 . 8080 }");
    expect(script).toContain("fib daddr type local dnat ip to tcp dport map { 61001 : 10.254.0.2 . 8080 }");
  });
  test("lets NetOut accepts run before the host-protection reject", () => {
    expect(script).toContain(
      "map container_egress {\n    type ipv4_addr : verdict;\n    elements = { 10.254.0.2 : jump egress_ida }",
    );
    const vmap = script.indexOf('iifname "br0" ip saddr vmap @container_egress');
    const reject = script.indexOf('iifname "br0" meta l4proto tcp reject with tcp reset');
    expect(vmap).toBeGreaterThan(0);
    expect(reject).toBeGreaterThan(vmap);
    expect(script).toContain("chain egress_ida {\n    tcp dport 5432 accept\n  }");
  });
  test("leaves half-created containers out of the rules", () => {
    expect(script).not.toContain("egress_idb");
  });
  test("leaves the bridge open between containers unless they are isolated", () => {
    expect(script).toContain('iifname "br0" oifname "br0" accept');
    expect(script).not.toContain("peers_");
  });
  test("binds each container port to its address at the bridge", () => {
    expect(script).toContain('elements = { "veth1234" . 10.254.0.2 }');
    expect(script).toContain("iifname != @container_ports accept");
  });
});

describe("networker config", () => {
  const base = {
    stateDir: "/tmp/x",
    bridge: "grove0",
    subnet: "10.254.0.0/22",
    name: "cell1",
    externalIP: "192.0.2.10",
    log: pino({ level: "silent" }),
  };
  test("fills defaults", () => {
    const cfg = resolveNetworkerConfig(base);
    expect(cfg.portPool).toEqual({ start: 61001, end: 65000 });
    expect(cfg.helperDir).toBe("/tmp/x/bin");
    expect(formatIPv4(cfg.gateway)).toBe("10.254.0.1");
  });
  test("refuses names the kernel or nft would refuse and overlapping addresses", () => {
    for (const over of [
      { bridge: "a-bridge-name-too-long" },
      { name: "1cell" },
      { subnet: "10.254.0.1/22" },
      { subnet: "10.254.0.0/31" },
      { externalIP: "10.254.0.9" },
      { portPool: { start: 5000, end: 4000 } },
    ]) {
      expect(() => resolveNetworkerConfig({ ...base, ...over })).toThrow(InvalidNetworkerConfig);
    }
  });
});

describe("peer rules of isolated containers", () => {
  const rules: PeerRules = {
    groups: { web: ["10.254.0.2", "10.254.0.3"], db: ["10.254.0.4"], idle: ["10.254.0.9"] },
    allow: [
      { from: "web", to: "db", protocol: "tcp", ports: { start: 5432, end: 5432 } },
      { from: "db", to: "web", protocol: "udp", ports: { start: 8080, end: 8090 } },
      { from: "web", to: "web", protocol: "tcp", ports: { start: 1, end: 65535 } },
    ],
  };
  const render = (peerRules: PeerRules) =>
    renderRuleset({
      table: "cell",
      bridge: "br0",
      subnet: "10.254.0.0/22",
      externalIP: "192.0.2.10",
      containers: [record("a")],
      isolateContainers: true,
      peerRules,
    });
  const script = render(rules);
  const forward = script.slice(script.indexOf("chain forward {"));
  // named by a hash of their group or rules (stable across changes elsewhere)
  const name = (prefix: string, key: string) => new StableNames().of(prefix, key);
  const [fromWeb, fromDb] = [name("peers_", "web"), name("peers_", "db")];
  const toDb = name("peer_to_", `    ip saddr @${fromWeb} tcp dport 5432 accept`);
  const toWeb = name(
    "peer_to_",
    `    ip saddr @${fromDb} udp dport 8080-8090 accept\n    ip saddr @${fromWeb} tcp dport 1-65535 accept`,
  );

  test("one named set of addresses per source group a rule uses", () => {
    expect(script).toContain(
      `set ${fromWeb} {\n    type ipv4_addr;\n    elements = { 10.254.0.2, 10.254.0.3 }\n  }`,
    );
    expect(script).toContain(`set ${fromDb} {\n    type ipv4_addr;\n    elements = { 10.254.0.4 }\n  }`);
    expect(script).not.toContain("10.254.0.9");
    expect(script.match(/ set peers_/g)).toHaveLength(2);
  });
  test("a new connection costs one map lookup by destination, then the rules of that destination only", () => {
    expect(script).toContain(`  chain ${toDb} {\n    ip saddr @${fromWeb} tcp dport 5432 accept\n  }`);
    expect(script).toContain(
      `  chain ${toWeb} {\n    ip saddr @${fromDb} udp dport 8080-8090 accept\n    ip saddr @${fromWeb} tcp dport 1-65535 accept\n  }`,
    );
    expect(script).toContain(
      `elements = { 10.254.0.4 : jump ${toDb}, 10.254.0.2 : jump ${toWeb}, 10.254.0.3 : jump ${toWeb} }`,
    );
    const lines = forward.split("\n").map((l) => l.trim());
    const established = lines.indexOf("ct state established,related accept");
    const lookup = lines.indexOf('iifname "br0" oifname "br0" ip daddr vmap @peer_to');
    const drop = lines.indexOf('iifname "br0" oifname "br0" drop');
    expect(established).toBeGreaterThan(0);
    expect(lookup).toBeGreaterThan(established);
    expect(lookup).toBeLessThan(drop);
    expect(forward).not.toContain("accept\n    ip saddr @peers");
    expect(forward).not.toContain('oifname "br0" accept\n');
  });
  test("no rules: containers reach no other container, sets and all", () => {
    const empty = render(NO_PEER_RULES);
    expect(empty).not.toContain("peers_");
    expect(empty).not.toContain("peer_to");
    expect(empty).toContain('iifname "br0" oifname "br0" drop');
  });
  test("a group without addresses is an empty set, which nft takes", () => {
    const noSources = render({
      groups: { a: [], b: ["10.254.0.4"] },
      allow: [{ ...rules.allow[0], from: "a", to: "b" } as PeerRules["allow"][number]],
    });
    expect(noSources).toContain(`set ${name("peers_", "a")} {\n    type ipv4_addr;\n  }`);
  });
  test("a change widens only when every rule stays and every group keeps its addresses", () => {
    const more: PeerRules = {
      groups: { ...rules.groups, web: ["10.254.0.2", "10.254.0.3", "10.254.0.5"], new: ["10.254.0.8"] },
      allow: [...rules.allow, { from: "new", to: "db", protocol: "tcp", ports: { start: 1, end: 2 } }],
    };
    expect(peerRulesWiden(rules, more)).toBe(true);
    expect(peerRulesWiden(rules, rules)).toBe(true);
    expect(peerRulesWiden(more, rules)).toBe(false);
    expect(peerRulesWiden(rules, { ...rules, allow: rules.allow.slice(1) })).toBe(false);
    expect(peerRulesWiden(rules, { ...rules, groups: { ...rules.groups, db: [] } })).toBe(false);
    const narrower = { ...rules.allow[0], ports: { start: 5432, end: 5431 } } as PeerRules["allow"][number];
    expect(peerRulesWiden(rules, { ...rules, allow: [narrower, ...rules.allow.slice(1)] })).toBe(false);
  });
  test("rules that name missing groups, bad addresses, protocols or ports are refused", () => {
    const allow = rules.allow[0] as PeerRules["allow"][number];
    for (const bad of [
      { groups: {}, allow: [allow] },
      { groups: { web: ["10.254.0"], db: [] }, allow: [allow] },
      { groups: rules.groups, allow: [{ ...allow, protocol: "icmp" as "tcp" }] },
      { groups: rules.groups, allow: [{ ...allow, ports: { start: 0, end: 10 } }] },
      { groups: rules.groups, allow: [{ ...allow, ports: { start: 90, end: 80 } }] },
      { groups: rules.groups, allow: [{ ...allow, ports: { start: 1, end: 65536 } }] },
    ]) {
      expect(() => validatePeerRules(bad)).toThrow(InvalidSpec);
    }
    expect(() => validatePeerRules(rules)).not.toThrow();
  });
});

describe("rules with an overlay (containers of other hosts routed to)", () => {
  const render = (isolateContainers: boolean) =>
    renderRuleset({
      table: "grove",
      bridge: "br0",
      subnet: "10.250.1.0/24",
      externalIP: "192.0.2.10",
      containers: [record("a", { containerIP: "10.250.1.2" })],
      isolateContainers,
      peerRules: {
        groups: { web: ["10.250.1.2"], db: ["10.250.2.7"] },
        allow: [{ from: "web", to: "db", protocol: "udp", ports: { start: 53, end: 53 } }],
      },
      overlay: "10.250.0.0/16",
    });

  test("traffic to other hosts' containers keeps the container's address (no masquerade)", () => {
    expect(render(true)).toContain(
      'ip saddr 10.250.1.0/24 ip daddr != 10.250.0.0/16 oifname != "br0" masquerade',
    );
  });
  test("peer rules match by address either way, then other hosts' containers are dropped both ways", () => {
    const script = render(true);
    const forward = script
      .slice(script.indexOf("chain forward {"))
      .split("\n")
      .map((l) => l.trim());
    const accept = forward.indexOf("ip daddr vmap @peer_to");
    expect(script).toContain(`ip saddr @${new StableNames().of("peers_", "web")} udp dport 53 accept`);
    const out = forward.indexOf('iifname "br0" ip daddr 10.250.0.0/16 drop');
    const into = forward.indexOf('oifname "br0" ip saddr 10.250.0.0/16 drop');
    expect(accept).toBeGreaterThan(0);
    expect(out).toBeGreaterThan(accept);
    expect(into).toBeGreaterThan(accept);
    expect(script).toContain('iifname != "br0" ip saddr 10.250.0.0/16 ct state new drop');
  });
  test("without isolation, other hosts' containers are reached freely", () => {
    expect(render(false)).not.toContain("ip daddr 10.250.0.0/16 drop");
  });
});
