import type { PolicyRule } from "@grove/protocol";
import { describe, expect, test } from "vitest";
import { policySlices } from "./slices";

const rule = (sourceAppId: string, destinationAppId: string, port = 8080): PolicyRule => ({
  sourceAppId,
  destinationAppId,
  protocol: "tcp",
  ports: { start: port, end: port },
});

describe("policy slices per cell", () => {
  const instances = [
    { appId: "web", cellId: "c1", containerIp: "10.250.1.2" },
    { appId: "web", cellId: "c2", containerIp: "10.250.2.2" },
    { appId: "api", cellId: "c1", containerIp: "10.250.1.3" },
    { appId: "api", cellId: "c1", containerIp: "10.250.1.4" },
    { appId: "db", cellId: "c2", containerIp: "10.250.2.9" },
  ];

  test("a cell gets the policies whose source or destination runs on it, with every cell's addresses of each app", () => {
    const slices = policySlices(["c1", "c2"], [rule("web", "api"), rule("api", "db", 5432)], instances);
    // c1 admits web → api and lets api → db leave; web's sources on c2 are named too
    expect(slices.get("c1")).toEqual({
      apps: [
        { appId: "api", addresses: ["10.250.1.3", "10.250.1.4"] },
        { appId: "db", addresses: ["10.250.2.9"] },
        { appId: "web", addresses: ["10.250.1.2", "10.250.2.2"] },
      ],
      rules: [rule("api", "db", 5432), rule("web", "api")],
    });
    // c2 admits api → db (from c1's addresses) and lets web → api leave
    expect(slices.get("c2")).toEqual(slices.get("c1"));
  });

  test("every cell gets a slice, empty when nothing it runs is named by a policy", () => {
    const slices = policySlices(["c1", "c3"], [rule("db", "db")], instances);
    expect(slices.get("c1")).toEqual({ apps: [], rules: [] });
    expect(slices.get("c3")).toEqual({ apps: [], rules: [] });
  });

  test("the same input in another order gives the same slices", () => {
    const policies = [rule("web", "api", 1), rule("api", "api", 2), rule("web", "api", 0)];
    const one = policySlices(["c1", "c2"], policies, instances);
    const two = policySlices(["c2", "c1"], [...policies].reverse(), [...instances].reverse());
    expect(JSON.stringify([...two.entries()].sort())).toBe(JSON.stringify([...one.entries()].sort()));
    expect(one.get("c1")?.rules.map((r) => r.ports.start)).toEqual([2, 0, 1]);
  });
});
