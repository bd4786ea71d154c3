import { describe, expect, it } from "vitest";
import { controlPlaneOf, egressSlices } from "./egress-slices";

describe("egress slices", () => {
  const addresses = [
    { cellId: "c1", tenantId: "t1", spaceId: "s1", containerIp: "10.0.0.2" },
    { cellId: "c1", tenantId: "t2", spaceId: "s2", containerIp: "10.0.0.3" },
    { cellId: "c2", tenantId: "t2", spaceId: "s2", containerIp: "10.0.0.2" },
  ];
  const rule = {
    network: "192.0.2.0/24",
    protocol: "tcp" as const,
    portStart: 443,
    portEnd: 443,
    controlPlane: false,
  };

  it("give each cell the rules of the tenants and spaces it runs, the platform's, and their addresses alone", () => {
    const slices = egressSlices(
      ["c2", "c1", "c3"],
      [
        { ...rule, tenantId: "t1", spaceId: null },
        { ...rule, tenantId: "t2", spaceId: "s2", portStart: null, portEnd: null },
        {
          ...rule,
          tenantId: null,
          spaceId: null,
          network: "0.0.0.0/0",
          protocol: "udp",
          portStart: 123,
          portEnd: 123,
        },
      ],
      addresses,
      [{ network: "10.1.0.1", ports: { start: 4222, end: 4222 } }],
    );
    expect([...slices.keys()]).toEqual(["c1", "c2", "c3"]);
    const c2 = slices.get("c2");
    expect(c2?.groups).toEqual([{ id: "space-s2", addresses: ["10.0.0.2"] }]);
    expect(c2?.rules).toEqual([
      { group: "space-s2", network: "192.0.2.0/24", protocol: "tcp" },
      { network: "0.0.0.0/0", protocol: "udp", ports: { start: 123, end: 123 } },
    ]);
    expect(slices.get("c1")?.groups.map((g) => g.id)).toEqual(["space-s2", "tenant-t1"]);
    expect(slices.get("c3")?.rules).toHaveLength(1);
    expect(slices.get("c3")?.controlPlane).toEqual([
      { network: "10.1.0.1", ports: { start: 4222, end: 4222 } },
    ]);
  });

  it("refuse the api, NATS and Postgres ports on every cell address and the hosts the api uses", () => {
    const refused = controlPlaneOf(
      {
        apiPort: 7070,
        natsUrl: "tls://10.0.9.1:4333,nats://localhost",
        databaseUrl: "postgres://u:p@10.0.9.2/grove",
      },
      ["10.0.9.3"],
    );
    const networks = [...new Set(refused.map((r) => r.network))];
    expect(networks).toEqual(["10.0.9.1", "10.0.9.2", "10.0.9.3"]);
    expect([...new Set(refused.map((r) => r.ports.start))].sort()).toEqual([4222, 4333, 5432, 7070]);
  });
});
