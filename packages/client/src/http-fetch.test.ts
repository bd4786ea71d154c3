import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpFetch } from "./http-fetch";

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

describe("httpFetch", () => {
  it("sends a streamed body and answers with status, headers and the streamed response", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("hello "));
        controller.enqueue(new TextEncoder().encode("world"));
        controller.close();
      },
    });
    const res = await httpFetch(
      new Request(`${base}/echo`, { method: "PUT", body, duplex: "half" } as RequestInit),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("x-method")).toBe("PUT");
    expect(await res.text()).toBe("hello world");
  });

  it("gives no body for 204, every value of a repeated header, and a body that arrives in parts", async () => {
    const empty = await httpFetch(new Request(`${base}/empty`));
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const streamed = await httpFetch(new Request(`${base}/stream`));
    expect(streamed.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await streamed.text()).toBe("first\nsecond\n");
    expect((await httpFetch(new Request(`${base}/nope`))).status).toBe(404);
  });

  it("rejects with the signal's reason, and a refused connection as fetch does (errno in cause)", async () => {
    const timedOut = httpFetch(new Request(`${base}/never`, { signal: AbortSignal.timeout(50) }));
    await expect(timedOut).rejects.toMatchObject({ name: "TimeoutError" });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = httpFetch(new Request(`http://127.0.0.1:${port}/`));
    await expect(refused).rejects.toBeInstanceOf(TypeError);
    await expect(refused).rejects.toMatchObject({ message: "fetch failed", cause: { code: "ECONNREFUSED" } });
  });
});
