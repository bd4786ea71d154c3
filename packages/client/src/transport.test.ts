import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeHttp } from "./transport";

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/echo") {
      res.writeHead(201, { "content-type": "text/plain", "x-method": req.method ?? "" });
      req.pipe(res);
    } else if (req.url === "/empty") {
      res.writeHead(204).end();
    } else if (req.url === "/stream") {
      res.writeHead(200, { "set-cookie": ["a=1", "b=2"] });
      res.write("first\n");
      setTimeout(() => res.end("second\n"), 20);
    } else if (req.url === "/never") {
      // holds the request open: only the caller's signal ends it
    } else res.writeHead(404).end("no");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("nodeHttp", () => {
  it("sends a streamed body and answers with status, headers and the streamed response", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("hello "));
        controller.enqueue(new TextEncoder().encode("world"));
        controller.close();
      },
    });
    const res = await nodeHttp({ method: "PUT", url: `${base}/echo`, headers: {}, body });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-method")).toBe("PUT");
    expect(await res.text()).toBe("hello world");
    const whole = await nodeHttp({ method: "POST", url: `${base}/echo`, headers: {}, body: "in one piece" });
    expect([whole.ok, whole.headers.get("x-method"), await whole.text()]).toEqual([
      true,
      "POST",
      "in one piece",
    ]);
  });

  it("gives no body for 204, every value of a repeated header, and a body that arrives in parts", async () => {
    const get = (path: string) => nodeHttp({ method: "GET", url: `${base}${path}`, headers: {} });
    const empty = await get("/empty");
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    expect(await empty.text()).toBe("");
    const streamed = await get("/stream");
    expect(streamed.headers.get("Set-Cookie")).toBe("a=1, b=2");
    const reader = (streamed.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      text += new TextDecoder().decode(part.value);
    }
    expect(text).toBe("first\nsecond\n");
    const missing = await get("/nope");
    expect([missing.status, missing.ok, await missing.text()]).toEqual([404, false, "no"]);
  });

  it("rejects with the signal's reason, and a refused connection as fetch does (errno in cause)", async () => {
    const timedOut = nodeHttp({
      method: "GET",
      url: `${base}/never`,
      headers: {},
      signal: AbortSignal.timeout(50),
    });
    await expect(timedOut).rejects.toMatchObject({ name: "TimeoutError" });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = nodeHttp({ method: "GET", url: `http://127.0.0.1:${port}/`, headers: {} });
    await expect(refused).rejects.toBeInstanceOf(TypeError);
    await expect(refused).rejects.toMatchObject({ message: "fetch failed", cause: { code: "ECONNREFUSED" } });
  });
});
