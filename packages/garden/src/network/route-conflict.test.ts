import { describe, expect, it } from "vitest";
import { parseIPv4 } from "./ipv4";
import { conflictingRoute } from "./route-conflict";

const pool = { network: parseIPv4("10.254.0.0") as number, prefix: 22 };

describe("conflictingRoute", () => {
  it("finds a route into the subnet, around it or inside it through another device", () => {
    const routes = [
      { dst: "default", dev: "eth0" },
      { dst: "192.168.1.0/24", dev: "eth0" },
      { dst: "10.254.0.0/22", dev: "grove0" },
      { dst: "10.254.3.7", dev: "tun0" },
    ];
    expect(conflictingRoute(routes, pool, "mine0")).toEqual({ dst: "10.254.0.0/22", dev: "grove0" });
    expect(conflictingRoute(routes.slice(0, 2).concat(routes[3] ?? []), pool, "mine0")?.dev).toBe("tun0");
    expect(conflictingRoute([{ dst: "10.0.0.0/8", dev: "vpn" }], pool, "mine0")?.dev).toBe("vpn");
  });

  it("lets the network's own bridge, neighbours, the default route and device-less routes be", () => {
    const routes = [
      { dst: "default", dev: "eth0" },
      { dst: "10.254.0.0/22", dev: "mine0" },
      { dst: "10.254.4.0/24", dev: "other" },
      { dst: "10.253.255.0/24", dev: "other" },
      { dst: "10.254.1.0/24", type: "blackhole" },
    ];
    expect(conflictingRoute(routes, pool, "mine0")).toBeUndefined();
  });
});
