import { describe, expect, it } from "vitest";
import { decode, encode, RouteRegistration, RouterStart } from "./index";

describe("gorouter messages", () => {
  it("decodes a route-registrar style register message without a v field", () => {
    const wire =
      '{"host":"10.0.0.5","port":61001,"uris":["web.example.com"],"app":"app-1",' +
      '"private_instance_id":"i-1","private_instance_index":"0","tags":{"component":"grove"},' +
      '"stale_threshold_in_seconds":120}';
    const result = decode(RouteRegistration, wire);
    expect(result).toEqual({
      ok: true,
      value: {
        host: "10.0.0.5",
        port: 61001,
        uris: ["web.example.com"],
        app: "app-1",
        private_instance_id: "i-1",
        private_instance_index: "0",
        tags: { component: "grove" },
        stale_threshold_in_seconds: 120,
      },
    });
  });

  it("keeps fields it does not know, as gorouter ignores them", () => {
    const value = { host: "h", port: 1, uris: ["a"], future_field: true };
    expect(decode(RouteRegistration, JSON.stringify(value))).toEqual({ ok: true, value });
  });

  it("round-trips a TLS-only registration", () => {
    const msg = { host: "h", port: 0, tls_port: 61443, uris: ["a.example"], server_cert_domain_san: "i-1" };
    expect(decode(RouteRegistration, encode(RouteRegistration, msg))).toEqual({ ok: true, value: msg });
  });

  it.each([
    ["no uris", { host: "h", port: 1, uris: [] }],
    ["a port out of range", { host: "h", port: 70000, uris: ["a"] }],
    ["a plain-http route service", { host: "h", port: 1, uris: ["a"], route_service_url: "http://rs" }],
  ])("rejects a registration with %s", (_name, msg) => {
    expect(decode(RouteRegistration, JSON.stringify(msg)).ok).toBe(false);
  });

  it("round-trips a router.start / greet reply with gorouter's camelCase fields", () => {
    const msg = {
      id: "0-abc",
      hosts: ["10.0.0.9"],
      minimumRegisterIntervalInSeconds: 20,
      pruneThresholdInSeconds: 120,
    };
    expect(decode(RouterStart, encode(RouterStart, msg))).toEqual({ ok: true, value: msg });
    expect(decode(RouterStart, '{"id":"x","hosts":[]}').ok).toBe(false);
  });
});
