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
    { appId: "web", cellId: "c1", containerIp: "10.0.0.2" },
    { appId: "web", cellId: "c2", containerIp: "10.0.0.2" },
    { appId: "api", cellId: "c1", containerIp: "10.0.0.3" },
    { appId: "api", cellId: "c1", containerIp: "10.0.0.4" },
    { appId: "db", cellId: "c2", containerIp: "10.0.0.9" },
  ];

  test("a cell gets the policies whose destination runs on it, with the addresses it has of each app", () => {
    const slices = policySlices(["c1", "c2"], [rule("web", "api"), rule("api", "db", 5432)], instances);
    expect(slices.get("c1")).toEqual({
      apps: [
        { appId: "api", addresses: ["10.0.0.3", "10.0.0.4"] },
        { appId: "web", addresses: ["10.0.0.2"] },
      ],
      rules: [rule("web", "api")],
    });
    // api has no instance on c2: the rule is kept (its sources may come), with no addresses for it
    expect(slices.get("c2")).toEqual({
      apps: [
        { appId: "api", addresses: [] },
        { appId: "db", addresses: ["10.0.0.9"] },
      ],
      rules: [rule("api", "db", 5432)],
    });
  });

  test("every cell gets a slice, empty when nothing it runs is a destination", () => {
    const slices = policySlices(["c1", "c3"], [rule("api", "db")], instances);
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
