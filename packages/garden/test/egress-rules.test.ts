import { describe, expect, test } from "vitest";
import { parseConntrack } from "../src/network/conntrack";
import {
  type EgressRules,
  egressAllows,
  egressWidens,
  validateEgressRules,
} from "../src/network/egress-rules";
import { renderRuleset } from "../src/network/ruleset";
import { StableNames } from "../src/network/stable-names";

const rules: EgressRules = {
  groups: { t: ["10.0.0.2"] },
  allow: [
    { from: "t", to: "192.0.2.0/24", protocol: "tcp", ports: { start: 443, end: 443 } },
    { to: "0.0.0.0/0", protocol: "udp", ports: { start: 123, end: 123 } },
  ],
  resolvers: ["10.0.0.1"],
  controlPlane: [{ network: "192.0.2.10", ports: { start: 4222, end: 4222 } }],
};

describe("egress rules", () => {
  test("decide a flow as the chain does: control plane first, then DNS, then the allows", () => {
    const flow = (source: string, destination: string, protocol: string, destinationPort: number) => ({
      source,
      destination,
      protocol,
      destinationPort,
    });
    expect(egressAllows(rules, flow("10.0.0.2", "192.0.2.7", "tcp", 443))).toBe(true);
    expect(egressAllows(rules, flow("10.0.0.3", "192.0.2.7", "tcp", 443))).toBe(false);
    expect(egressAllows(rules, flow("10.0.0.3", "198.51.100.1", "udp", 123))).toBe(true);
    expect(egressAllows(rules, flow("10.0.0.3", "10.0.0.1", "udp", 53))).toBe(true);
    expect(egressAllows(rules, flow("10.0.0.3", "10.0.0.9", "udp", 53))).toBe(false);
    const open = { ...rules, allow: [{ to: "0.0.0.0/0", protocol: "all" as const }] };
    expect(egressAllows(open, flow("10.0.0.2", "192.0.2.10", "tcp", 4222))).toBe(false);
    expect(egressAllows(open, flow("10.0.0.2", "192.0.2.10", "tcp", 4223))).toBe(true);
  });

  test("render the control-plane refusal before the allows and reject the rest", () => {
    const script = renderRuleset({
      table: "t1",
      bridge: "br0",
      subnet: "10.0.0.0/24",
      externalIP: "192.0.2.1",
      containers: [],
      isolateContainers: true,
      peerRules: { groups: {}, allow: [] },
      egress: rules,
    });
    const forward = script.slice(script.indexOf("chain forward"));
    const at = (needle: string) => forward.indexOf(needle);
    expect(at("ip daddr 192.0.2.10 tcp dport 4222 reject")).toBeGreaterThan(0);
    expect(at("ip daddr 192.0.2.10 tcp dport 4222 reject")).toBeLessThan(at("th dport 53 accept"));
    expect(at("th dport 53 accept")).toBeLessThan(
      at(`ip saddr @${new StableNames().of("egress_from_", "t")} ip daddr 192.0.2.0/24 tcp dport 443 accept`),
    );
    expect(forward).toContain('iifname "br0" reject with icmp type admin-prohibited');
  });

  test("a change widens egress only when it keeps every allow, resolver and refusal", () => {
    const more = { ...rules, allow: [...rules.allow, { to: "203.0.113.0/24", protocol: "all" as const }] };
    expect(egressWidens(rules, more)).toBe(true);
    expect(egressWidens(rules, undefined)).toBe(true);
    expect(egressWidens(undefined, rules)).toBe(false);
    expect(egressWidens(more, rules)).toBe(false);
    expect(egressWidens(rules, { ...rules, resolvers: [] })).toBe(false);
    expect(egressWidens(rules, { ...rules, controlPlane: [] })).toBe(false);
  });

  test("refuse what nft could not take", () => {
    expect(() => validateEgressRules({ ...rules, allow: [{ to: "300.0.0.0/8", protocol: "all" }] })).toThrow(
      /destination/,
    );
    expect(() =>
      validateEgressRules({
        ...rules,
        allow: [{ to: "0.0.0.0/0", protocol: "icmp", ports: { start: 1, end: 1 } }],
      }),
    ).toThrow(/ports need protocol tcp or udp/);
    expect(() =>
      validateEgressRules({ ...rules, allow: [{ from: "x", to: "0.0.0.0/0", protocol: "all" }] }),
    ).toThrow(/no group x/);
  });
});

describe("conntrack listing", () => {
  const established = {
    protocol: "tcp",
    source: "10.0.0.2",
    destination: "10.0.0.3",
    sourcePort: 39812,
    destinationPort: 7500,
  };
  test("keeps plain flows in their original direction and leaves NATed ones out", () => {
    const text = [
      "tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.0.0.3 sport=39812 dport=7500 src=10.0.0.3 dst=10.0.0.2 sport=7500 dport=39812 [ASSURED] mark=0 use=1",
      "tcp      6 431999 ESTABLISHED src=192.0.2.9 dst=192.0.2.1 sport=40000 dport=61001 src=10.0.0.3 dst=192.0.2.9 sport=8080 dport=40000 [ASSURED] mark=0 use=1",
      "udp      17 29 src=10.0.0.2 dst=10.0.0.1 sport=5353 dport=53 src=10.0.0.1 dst=10.0.0.2 sport=53 dport=5353 mark=0 use=1",
    ].join("\n");
    expect(parseConntrack(text)).toEqual([
      established,
      { protocol: "udp", source: "10.0.0.2", destination: "10.0.0.1", sourcePort: 5353, destinationPort: 53 },
    ]);
  });
  test("reads /proc/net/nf_conntrack's lines alike, IPv6 left out", () => {
    const text = [
      "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=10.0.0.3 sport=39812 dport=7500 src=10.0.0.3 dst=10.0.0.2 sport=7500 dport=39812 [ASSURED] mark=0 zone=0 use=2",
      "ipv6     10 udp      17 29 src=fe80::1 dst=fe80::2 sport=5353 dport=53 src=fe80::2 dst=fe80::1 sport=53 dport=5353 mark=0 zone=0 use=2",
    ].join("\n");
    expect(parseConntrack(text)).toEqual([established]);
  });
});
