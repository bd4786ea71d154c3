import { describe, expect, it } from "vitest";
import type { InstanceRoute } from "../repo/routes";
import { defaultRoute, diffRoutes, registrationOf, routeSetOf } from "./route-set";

const route = (instanceId: string, port: number, extra: Partial<InstanceRoute> = {}): InstanceRoute => ({
  instanceId,
  appId: "app-1",
  appName: "Web",
  spaceName: "default",
  tenantName: "acme",
  host: "10.0.0.2",
  port,
  ...extra,
});
const set = (...routes: InstanceRoute[]) => routeSetOf(routes, "grove.test");

describe("route set", () => {
  it("names the app's default route, lower-cased, with the instance as gorouter's private id", () => {
    expect(defaultRoute("Web", "default", "Acme", "grove.test")).toBe("web.acme.grove.test");
    expect(defaultRoute("web", "dev", "acme", "grove.test")).toBe("web.dev.acme.grove.test");
    expect(registrationOf(route("i1", 61001), "grove.test")).toEqual({
      host: "10.0.0.2",
      port: 61001,
      uris: ["web.acme.grove.test"],
      app: "app-1",
      private_instance_id: "i1",
      tags: { component: "grove-api" },
    });
  });

  it("registers new instances and withdraws gone ones, leaving unchanged ones alone", () => {
    const { register, unregister } = diffRoutes(
      set(route("i1", 1), route("i2", 2)),
      set(route("i2", 2), route("i3", 3)),
    );
    expect(register.map((r) => r.private_instance_id)).toEqual(["i3"]);
    expect(unregister.map((r) => r.private_instance_id)).toEqual(["i1"]);
  });

  it("re-registers an instance whose endpoint moved and withdraws the old endpoint", () => {
    const { register, unregister } = diffRoutes(set(route("i1", 1)), set(route("i1", 9)));
    expect(register.map((r) => r.port)).toEqual([9]);
    expect(unregister.map((r) => r.port)).toEqual([1]);
  });

  it("never withdraws an endpoint another current instance of the route holds (a reused cell port)", () => {
    const { register, unregister } = diffRoutes(set(route("old", 5)), set(route("new", 5)));
    expect(register.map((r) => r.private_instance_id)).toEqual(["new"]);
    expect(unregister).toEqual([]);
  });

  it("withdraws a reused port of another app's route", () => {
    const { unregister } = diffRoutes(
      set(route("old", 5)),
      set(route("new", 5, { appName: "other", appId: "app-2" })),
    );
    expect(unregister.map((r) => r.uris)).toEqual([["web.acme.grove.test"]]);
  });
});
