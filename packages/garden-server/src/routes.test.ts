import { describe, expect, it } from "vitest";
import { parseRequestHead } from "./request-head";
import { matchRoute } from "./routes";

describe("matchRoute", () => {
  it("matches the reference route table with its parameters", () => {
    expect(matchRoute("GET", "/ping")).toEqual({ name: "Ping", params: {} });
    expect(matchRoute("GET", "/containers/bulk_info")?.name).toBe("BulkInfo");
    expect(matchRoute("GET", "/containers/h%201/info")).toEqual({ name: "Info", params: { handle: "h 1" } });
    expect(matchRoute("POST", "/containers/h/processes")?.name).toBe("Run");
    expect(matchRoute("GET", "/containers/h/processes/p")).toEqual({
      name: "Attach",
      params: { handle: "h", pid: "p" },
    });
    expect(matchRoute("GET", "/containers/h/processes/p/attaches/7/stderr")).toEqual({
      name: "Stderr",
      params: { handle: "h", pid: "p", streamid: "7" },
    });
    expect(matchRoute("DELETE", "/containers/h/properties/a.b")).toEqual({
      name: "RemoveProperty",
      params: { handle: "h", key: "a.b" },
    });
    expect(matchRoute("POST", "/containers/h/net/out/bulk")?.name).toBe("BulkNetOut");
  });

  it("answers null for an unknown path or a method the path does not take", () => {
    expect(matchRoute("GET", "/nope")).toBeNull();
    expect(matchRoute("PATCH", "/containers/h")).toBeNull();
    expect(matchRoute("GET", "/containers//info")).toBeNull();
  });
});

describe("parseRequestHead", () => {
  it("parses method, path, query and lower-cased headers", () => {
    const head = parseRequestHead(
      "GET /containers?a=1&garden.state=all HTTP/1.1\r\nHost: api\r\nContent-Length: 0",
    );
    expect(head.method).toBe("GET");
    expect(head.path).toBe("/containers");
    expect(head.query.get("garden.state")).toBe("all");
    expect(head.headers).toEqual({ host: "api", "content-length": "0" });
  });

  it("rejects a malformed request line", () => {
    expect(() => parseRequestHead("HELLO")).toThrow(/malformed request line/);
  });
});
