import { describe, expect, test } from "vitest";
import { parseIPv4 } from "./ipv4";
import { planOverlay, vtepMac } from "./overlay-plan";

const overlay = { network: parseIPv4("10.250.0.0") as number, prefix: 16 };
const self = { subnet: { network: parseIPv4("10.250.1.0") as number, prefix: 24 }, address: "192.0.2.1" };
const remotes = [
  { subnet: "10.250.3.0/24", address: "192.0.2.3" },
  { subnet: "10.250.2.0/24", address: "192.0.2.2" },
];

describe("overlay route planning", () => {
  test("routes mode: one route per remote subnet via its host, sorted", () => {
    const plan = planOverlay({ mode: "routes", overlay, self, remotes, device: "vx" });
    expect(plan.routes).toEqual([
      { subnet: "10.250.2.0/24", via: "192.0.2.2" },
      { subnet: "10.250.3.0/24", via: "192.0.2.3" },
    ]);
    expect(plan.neighbours).toEqual([]);
    expect(plan.fdb).toEqual([]);
    expect(plan.skipped).toEqual([]);
  });

  test("vxlan mode: route via the remote VTEP on the device, its MAC as neighbour, FDB to its host", () => {
    const plan = planOverlay({ mode: "vxlan", overlay, self, remotes: remotes.slice(1), device: "vx" });
    expect(plan.routes).toEqual([{ subnet: "10.250.2.0/24", via: "10.250.2.0", device: "vx" }]);
    expect(plan.neighbours).toEqual([{ address: "10.250.2.0", mac: "0e:67:0a:fa:02:00" }]);
    expect(plan.fdb).toEqual([{ mac: "0e:67:0a:fa:02:00", dst: "192.0.2.2" }]);
  });

  test("VTEP MACs are derived from the subnet: distinct, unicast, locally administered", () => {
    const a = vtepMac({ network: parseIPv4("10.250.2.0") as number, prefix: 24 });
    const b = vtepMac({ network: parseIPv4("10.250.3.0") as number, prefix: 24 });
    expect(a).not.toBe(b);
    const first = Number.parseInt(a.slice(0, 2), 16);
    expect(first & 1).toBe(0);
    expect(first & 2).toBe(2);
  });

  test("skips peers on this host, outside the range, overlapping, or malformed — and says why", () => {
    const plan = planOverlay({
      mode: "routes",
      overlay,
      self,
      device: "vx",
      remotes: [
        { subnet: "10.250.4.0/24", address: "192.0.2.1" },
        { subnet: "10.99.0.0/24", address: "192.0.2.5" },
        { subnet: "10.250.1.0/25", address: "192.0.2.6" },
        { subnet: "10.250.7.0/24", address: "192.0.2.7" },
        { subnet: "10.250.7.0/24", address: "192.0.2.8" },
        { subnet: "10.250.9.1/24", address: "192.0.2.9" },
        { subnet: "10.250.10.0/24", address: "not-an-ip" },
      ],
    });
    expect(plan.routes).toEqual([{ subnet: "10.250.7.0/24", via: "192.0.2.7" }]);
    expect(Object.fromEntries(plan.skipped.map((s) => [s.subnet, s.reason]))).toEqual({
      "10.250.4.0/24": "on this host",
      "10.99.0.0/24": "outside the overlay range",
      "10.250.1.0/25": "overlaps a subnet already routed",
      "10.250.7.0/24": "overlaps a subnet already routed",
      "10.250.9.1/24": "subnet 10.250.9.1/24: host bits are set",
      "10.250.10.0/24": "address not-an-ip is not IPv4",
    });
  });
});
