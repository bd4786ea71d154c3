import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { parseGardenFlags } from "./cli-flags";
import { startDebugServer } from "./debug-server";

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("grove-garden debug server", () => {
  it("reads --debug-bind-ip/--debug-bind-port, none by default", () => {
    expect(parseGardenFlags(["--depot", "/d"])).toMatchObject({ debug: undefined });
    expect(
      parseGardenFlags(["--depot", "/d", "--debug-bind-ip", "127.0.0.1", "--debug-bind-port", "17013"]),
    ).toMatchObject({ debug: { host: "127.0.0.1", port: 17013 } });
  });

  it("serves expvar-style /debug/vars with memstats and 404 elsewhere", async () => {
    const server = await startDebugServer({ host: "127.0.0.1", port: 0 });
    try {
      const { port } = server.address() as AddressInfo;
      const vars = await get(port, "/debug/vars");
      expect(vars.status).toBe(200);
      const doc = JSON.parse(vars.body) as { cmdline: string[]; memstats: Record<string, number> };
      expect(doc.cmdline.length).toBeGreaterThan(0);
      expect(doc.memstats.Alloc).toBeGreaterThan(0);
      expect(doc.memstats.Sys).toBeGreaterThan(0);
      expect((await get(port, "/other")).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
