import { describe, expect, it } from "vitest";
import { normaliseHost, RouteTable } from "./route-table";

const reg = (port: number, uris: string[], extra: Record<string, unknown> = {}) => ({
  host: "10.0.0.1",
  port,
  uris,
  ...extra,
});

describe("RouteTable", () => {
  it("round-robins over the endpoints of a route", () => {
    const table = new RouteTable(120_000);
    table.register(reg(1, ["web.example.com"]), 0);
    table.register(reg(2, ["web.example.com"]), 0);
    const picks = [1, 2, 3, 4].map((n) => table.lookup("web.example.com", `/${n}`)?.endpoints[0]?.port);
    expect(picks).toEqual([1, 2, 1, 2]);
  });

  it("matches hosts case-insensitively and ignores the port in the Host header", () => {
    const table = new RouteTable(120_000);
    table.register(reg(1, ["Web.Example.com"]), 0);
    expect(table.lookup("WEB.example.COM:8080", "/")?.route).toBe("web.example.com");
    expect(normaliseHost("[::1]:80")).toBe("[::1]");
  });

  it("prefers the longest registered path prefix", () => {
    const table = new RouteTable(120_000);
    table.register(reg(1, ["web.example.com"]), 0);
    table.register(reg(2, ["web.example.com/api"]), 0);
    expect(table.lookup("web.example.com", "/api/users?x=1")?.endpoints[0]?.port).toBe(2);
    expect(table.lookup("web.example.com", "/apix")?.endpoints[0]?.port).toBe(1);
  });

  it("serves the bare host again once its path-prefixed routes are gone", () => {
    const table = new RouteTable(120_000);
    table.register(reg(1, ["web.example.com"]), 0);
    table.register(reg(2, ["web.example.com/api"]), 0);
    table.unregister(reg(2, ["web.example.com/api"]));
    expect(table.pick("web.example.com", "/api/users")).toMatchObject({ route: "web.example.com", first: 0 });
  });

  it("removes unregistered endpoints and empty routes", () => {
    const table = new RouteTable(120_000);
    table.register(reg(1, ["a.example.com"]), 0);
    table.register(reg(2, ["a.example.com"]), 0);
    table.unregister(reg(1, ["a.example.com"]));
    expect(table.lookup("a.example.com", "/")?.endpoints.map((e) => e.port)).toEqual([2]);
    table.unregister(reg(2, ["a.example.com"]));
    expect(table.lookup("a.example.com", "/")).toBeUndefined();
    expect(table.size).toEqual({ routes: 0, endpoints: 0 });
  });

  it("prunes endpoints that were not registered again within their threshold", () => {
    const table = new RouteTable(120_000);
    table.register(reg(1, ["a.example.com"]), 0);
    table.register(reg(2, ["a.example.com"], { stale_threshold_in_seconds: 10 }), 0);
    expect(table.prune(11_000)).toBe(1);
    table.register(reg(1, ["a.example.com"]), 100_000);
    expect(table.prune(150_000)).toBe(0);
    expect(table.prune(221_000)).toBe(1);
    expect(table.lookup("a.example.com", "/")).toBeUndefined();
  });
});
