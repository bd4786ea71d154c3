import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { EgressRules } from "../src/network/egress-rules";
import { nftDelta, parseRuleset } from "../src/network/nft-delta";
import type { PeerRules } from "../src/network/peer-rules";
import { type RulesetInput, renderRuleset } from "../src/network/ruleset";
import type { ContainerRecord } from "../src/network/state";
import { networkPrerequisites, shortRunId } from "./network-helpers";

function container(n: number, over: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    handle: `h${n}`,
    id: `id${n}`,
    netnsName: `n${n}`,
    netnsPath: `/run/netns/n${n}`,
    status: "up",
    containerIP: `10.254.0.${n + 1}`,
    hostVeth: `gv${n}`,
    mappedPorts: [],
    netOut: [],
    ...over,
  };
}

const peers: PeerRules = {
  groups: { web: ["10.254.0.2", "10.254.0.3"], db: ["10.254.0.4", "10.250.9.9"] },
  allow: [
    { from: "web", to: "db", protocol: "tcp", ports: { start: 5432, end: 5432 } },
    { from: "db", to: "web", protocol: "udp", ports: { start: 8080, end: 8090 } },
  ],
};
const egress: EgressRules = {
  groups: { web: ["10.254.0.2"] },
  allow: [{ from: "web", to: "198.18.0.0/24", protocol: "tcp", ports: { start: 443, end: 443 } }],
  resolvers: ["10.254.0.1"],
  controlPlane: [{ network: "192.0.2.10", ports: { start: 4222, end: 4222 } }],
};

function render(over: Partial<RulesetInput> = {}): string {
  return renderRuleset({
    table: "gdelta",
    bridge: "gdeltabr",
    subnet: "10.254.0.0/24",
    externalIP: "192.0.2.1",
    containers: [1, 2, 3].map((n) => container(n)),
    isolateContainers: true,
    peerRules: peers,
    egress,
    overlay: "10.250.0.0/16",
    ...over,
  });
}

const base = render();
const changes: [string, string][] = [
  ["a container comes", render({ containers: [1, 2, 3, 4].map((n) => container(n)) })],
  ["a container goes", render({ containers: [1, 3].map((n) => container(n)) })],
  [
    "a container gets a port and a NetOut rule",
    render({
      containers: [
        container(1, {
          mappedPorts: [{ hostPort: 61001, containerPort: 8080 }],
          netOut: [{ protocol: "tcp", networks: [{ start: "192.0.2.7", end: "192.0.2.7" }] }],
        }),
        container(2),
        container(3),
      ],
    }),
  ],
  [
    "a policy comes, with a new source group",
    render({
      peerRules: {
        groups: { ...peers.groups, cache: ["10.254.0.9"] },
        allow: [
          ...peers.allow,
          { from: "cache", to: "db", protocol: "tcp", ports: { start: 6379, end: 6379 } },
        ],
      },
    }),
  ],
  ["a policy goes", render({ peerRules: { groups: peers.groups, allow: peers.allow.slice(1) } })],
  ["every policy goes", render({ peerRules: { groups: {}, allow: [] } })],
  [
    "an app's addresses change",
    render({ peerRules: { ...peers, groups: { ...peers.groups, web: ["10.254.0.3"] } } }),
  ],
  [
    "egress changes",
    render({
      egress: {
        ...egress,
        groups: { web: ["10.254.0.2"], api: ["10.254.0.3"] },
        allow: [...egress.allow, { from: "api", to: "198.18.1.0/24", protocol: "all" }],
      },
    }),
  ],
  ["egress opens (no egress rules)", render({ egress: undefined })],
];

describe("nft-delta, pure", () => {
  test("reads renderRuleset's scripts, and nothing changed is an empty change", () => {
    expect(parseRuleset(base)?.map((t) => t.name)).toEqual(["ip gdelta", "bridge gdelta"]);
    expect(nftDelta(base, base)).toBe("");
    expect(parseRuleset("flush ruleset\n")).toBeUndefined();
  });
  test("a container coming touches map and set elements and its own chain, no hook chain", () => {
    const delta = nftDelta(base, changes[0]?.[1] ?? "") ?? "";
    expect(delta).toContain("add chain ip gdelta egress_id4");
    expect(delta).toContain("add element ip gdelta container_egress { 10.254.0.5 : jump egress_id4 }");
    expect(delta).toContain('add element bridge gdelta bindings { "gv4" . 10.254.0.5 }');
    expect(delta).not.toContain("flush chain");
  });
  test("another table or a changed declaration cannot be said as a change", () => {
    expect(nftDelta(base, render({ table: "gother" }))).toBeUndefined();
    const retyped = base.replace("type ipv4_addr : verdict;", "type ipv4_addr : ipv4_addr;");
    expect(nftDelta(base, retyped)).toBeUndefined();
  });
});

const missing = networkPrerequisites();

/** The ruleset of a namespace as nft lists it, handles left out and elements sorted. */
async function listed(ns: string): Promise<string[]> {
  const { stdout } = await execa("ip", ["netns", "exec", ns, "nft", "-j", "list", "ruleset"]);
  const items = (JSON.parse(stdout) as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
  const position = new Map<string, number>();
  return items
    .flatMap((item) => {
      const [kind, body] = Object.entries(item)[0] ?? [];
      if (!kind || !body || kind === "metainfo") return [];
      const { handle: _, ...rest } = body;
      if (Array.isArray(rest.elem)) rest.elem = rest.elem.map((e) => JSON.stringify(e)).sort();
      if (kind !== "rule") return [JSON.stringify({ kind, ...rest })];
      const chain = `${rest.family} ${rest.table} ${rest.chain}`;
      const at = position.get(chain) ?? 0;
      position.set(chain, at + 1);
      return [JSON.stringify({ kind, at, ...rest })];
    })
    .sort();
}

async function apply(ns: string, script: string): Promise<void> {
  await execa("ip", ["netns", "exec", ns, "nft", "-f", "-"], { input: script });
}

describe.skipIf(missing !== undefined)("nft-delta against the kernel", () => {
  const id = shortRunId();
  const [changed, whole] = [`gdc${id}`, `gdw${id}`];

  beforeAll(async () => {
    for (const ns of [changed, whole]) await execa("ip", ["netns", "add", ns]);
  });
  afterAll(async () => {
    for (const ns of [changed, whole]) await execa("ip", ["netns", "delete", ns], { reject: false });
  });

  test.each(changes)("%s: the change leaves the tables the whole script makes, and back", async (_, next) => {
    for (const [from, to] of [
      [base, next],
      [next, base],
    ] as const) {
      await apply(changed, from);
      const delta = nftDelta(from, to);
      expect(delta).toBeDefined();
      await apply(changed, delta ?? "");
      await apply(whole, to);
      expect(await listed(changed)).toEqual(await listed(whole));
    }
  });
});
