import { describe, expect, it } from "vitest";
import { parseHealthCheck } from "./health-check-flag";

describe("parseHealthCheck", () => {
  it("reads port, process and http checks with optional ports", () => {
    expect(parseHealthCheck("port")).toEqual({ type: "port" });
    expect(parseHealthCheck("port:9000")).toEqual({ type: "port", port: 9000 });
    expect(parseHealthCheck("process")).toEqual({ type: "process" });
    expect(parseHealthCheck("http:/healthz")).toEqual({ type: "http", path: "/healthz" });
    expect(parseHealthCheck("http:8081:/")).toEqual({ type: "http", port: 8081, path: "/" });
  });

  it("refuses anything else with the accepted forms in the message", () => {
    expect(() => parseHealthCheck("tcp")).toThrow(/use port, port:PORT, process or http:\/PATH/);
    expect(() => parseHealthCheck("http:healthz")).toThrow(/invalid health check/);
    expect(() => parseHealthCheck("port:70000")).toThrow(/invalid health check/);
  });
});
