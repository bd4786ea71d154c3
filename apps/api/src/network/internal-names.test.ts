import { describe, expect, it } from "vitest";
import { internalNamesOf, nameSlices } from "./internal-names";

describe("internal names per cell", () => {
  it("names an app with its space and tenant, and in the default space also without the space", () => {
    expect(internalNamesOf("web", "dev", "alpha")).toEqual(["web.dev.alpha.internal"]);
    expect(internalNamesOf("web", "default", "alpha")).toEqual([
      "web.default.alpha.internal",
      "web.alpha.internal",
    ]);
  });

  it("gives each cell the names of the tenants it hosts, with every cell's addresses, and nothing of others", () => {
    const running = [
      { tenantId: "ta", appName: "web", spaceName: "dev", tenantName: "alpha", containerIp: "10.250.1.2" },
      { tenantId: "ta", appName: "web", spaceName: "dev", tenantName: "alpha", containerIp: "10.250.2.2" },
      { tenantId: "ta", appName: "db", spaceName: "default", tenantName: "alpha", containerIp: "10.250.2.3" },
      { tenantId: "tb", appName: "web", spaceName: "dev", tenantName: "beta", containerIp: "10.250.2.9" },
    ];
    const slices = nameSlices(
      ["c2", "c1", "c3"],
      [
        { cellId: "c1", tenantId: "ta" },
        { cellId: "c2", tenantId: "ta" },
        { cellId: "c2", tenantId: "tb" },
        { cellId: "c1", tenantId: "ta" },
      ],
      running,
    );
    const alpha = {
      tenantId: "ta",
      names: [
        { name: "db.alpha.internal", addresses: ["10.250.2.3"] },
        { name: "db.default.alpha.internal", addresses: ["10.250.2.3"] },
        { name: "web.dev.alpha.internal", addresses: ["10.250.1.2", "10.250.2.2"] },
      ],
    };
    expect([...slices.keys()]).toEqual(["c1", "c2", "c3"]);
    expect(slices.get("c1")).toEqual({ tenants: [alpha] });
    expect(slices.get("c2")).toEqual({
      tenants: [
        alpha,
        { tenantId: "tb", names: [{ name: "web.dev.beta.internal", addresses: ["10.250.2.9"] }] },
      ],
    });
    // a cell without instances learns no names (and drops what it had)
    expect(slices.get("c3")).toEqual({ tenants: [] });
  });
});
