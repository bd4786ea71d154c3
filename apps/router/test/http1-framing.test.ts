import type { Socket } from "node:net";
import { describeWith, it, type TestNats } from "@grove/testkit";
import { expect } from "vitest";
import {
  httpBackend,
  rawClient,
  registerRoute,
  responses,
  startTestRouter,
  tcpBackend,
  until,
} from "./fixtures";

const get = (path: string, host: string, extra = "") =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

/** Decodes a chunked body (no trailers). */
function dechunk(body: string): string {
  let out = "";
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (size === 0) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 4 + size);
  }
}

/** A router routing `host` to a raw endpoint that answers a connection's first request with `answer`. */
async function routeToRaw(nats: TestNats, host: string, answer: (socket: Socket) => void) {
  const { router, nc } = await startTestRouter(nats);
  const web = await tcpBackend((socket) => socket.once("data", () => answer(socket)));
  await registerRoute(nc, router, web.port, host);
  return router;
}

/** busybox httpd running a CGI script: its own status line, the script's bare-LF lines, then close */
function busyboxCgi(socket: Socket): void {
  socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nfrom a ");
  setImmediate(() => socket.end("CGI script\n"));
}

describeWith(["nats"], "router HTTP/1.1 framing", () => {
  it("passes a chunked response through and keeps the client connection for the next request", async ({
    nats,
  }) => {
    const { router, nc } = await startTestRouter(nats);
    const web = await httpBackend((req, res) => {
      res.write("ab");
      setImmediate(() => res.end(`c${req.url}`));
    });
    await registerRoute(nc, router, web.port, "chunked.test");
    const client = await rawClient(router.port);
    client.send(get("/1", "chunked.test"));
    const first = await client.receive((r) => r.endsWith("0\r\n\r\n"), "chunked response");
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(first).toMatch(/\r\nTransfer-Encoding: chunked\r\n/i);
    expect(dechunk(first.slice(first.indexOf("\r\n\r\n") + 4))).toBe("abc/1");
    client.send(get("/2", "chunked.test"));
    await client.receive((r) => responses(r).length === 2 && r.endsWith("0\r\n\r\n"), "second response");
    expect(client.closed).toBe(false);
  });

  it("streams a chunked request body to the endpoint as it arrives", async ({ nats }) => {
    const { router, nc } = await startTestRouter(nats);
    let body = "";
    const web = await httpBackend((req, res) => {
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => res.end(`got ${body}`));
    });
    await registerRoute(nc, router, web.port, "upload.test");
    const client = await rawClient(router.port);
    client.send("POST /up HTTP/1.1\r\nHost: upload.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    await until(() => body === "hello", 5_000, "the first chunk at the endpoint");
    client.send("6\r\n world\r\n0\r\n\r\n");
    const received = await client.receive((r) => r.endsWith("got hello world"));
    expect(received).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it("forwards a POST body by Content-Length and answers a request pipelined after it", async ({ nats }) => {
    const { router, nc } = await startTestRouter(nats);
    const web = await httpBackend((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => res.end(`${req.method} ${req.url} [${body}]`));
    });
    await registerRoute(nc, router, web.port, "post.test");
    const client = await rawClient(router.port);
    client.send(
      `POST /form HTTP/1.1\r\nHost: post.test\r\nContent-Length: 7\r\n\r\na=1&b=2${get("/after", "post.test")}`,
    );
    const received = await client.receive((r) => r.endsWith("GET /after []"), "both responses");
    expect(responses(received).map((r) => r.slice(r.indexOf("\r\n\r\n") + 4))).toEqual([
      "POST /form [a=1&b=2]",
      "GET /after []",
    ]);
  });

  it("answers HEAD, 204 and 304 without a body and frames the next response correctly", async ({ nats }) => {
    const { router, nc } = await startTestRouter(nats);
    const web = await httpBackend((req, res) => {
      if (req.url === "/204") res.writeHead(204).end();
      else if (req.url === "/304") res.writeHead(304, { etag: '"x"' }).end();
      else
        res.writeHead(200, { "content-length": 11 }).end(req.method === "HEAD" ? undefined : "hello world");
    });
    await registerRoute(nc, router, web.port, "nobody.test");
    const client = await rawClient(router.port);
    client.send(
      `HEAD / HTTP/1.1\r\nHost: nobody.test\r\n\r\n${get("/204", "nobody.test")}${get("/304", "nobody.test")}${get("/", "nobody.test")}`,
    );
    const received = await client.receive((r) => r.endsWith("hello world"), "four responses");
    const all = responses(received);
    expect(all.map((r) => r.slice(9, 12))).toEqual(["200", "204", "304", "200"]);
    expect(all.slice(0, 3).every((r) => r.endsWith("\r\n\r\n"))).toBe(true);
    expect(all[0]).toMatch(/Content-Length: 11/i);
  });

  for (const maxPipeline of [1, 16]) {
    it(`answers pipelined requests in the order they were sent, however long each takes (pipeline depth ${maxPipeline})`, async ({
      nats,
    }) => {
      const { router, nc } = await startTestRouter(nats, { maxPipeline });
      const delays: Record<string, number> = { "/1": 60, "/2": 0, "/3": 20 };
      const web = await httpBackend((req, res) => {
        setTimeout(() => res.end(`body${req.url}`), delays[req.url ?? ""] ?? 0);
      });
      await registerRoute(nc, router, web.port, "pipeline.test");
      const client = await rawClient(router.port);
      client.send(get("/1", "pipeline.test") + get("/2", "pipeline.test") + get("/3", "pipeline.test"));
      const received = await client.receive((r) => responses(r).length === 3 && r.endsWith("body/3"));
      expect(responses(received).map((r) => r.slice(r.indexOf("\r\n\r\n") + 4))).toEqual([
        "body/1",
        "body/2",
        "body/3",
      ]);
    });
  }

  it("closes the client connection after a response to Connection: close", async ({ nats }) => {
    const { router, nc } = await startTestRouter(nats);
    const web = await httpBackend((_req, res) => res.end("bye"));
    await registerRoute(nc, router, web.port, "close.test");
    const client = await rawClient(router.port);
    client.send(get("/", "close.test", "Connection: close\r\n"));
    const received = await client.close();
    expect(received).toMatch(/\r\nConnection: close\r\n/);
    expect(received.endsWith("bye")).toBe(true);
  });

  it("passes a body that ends when the endpoint closes to an HTTP/1.0 client, then closes its connection", async ({
    nats,
  }) => {
    const router = await routeToRaw(nats, "eof.test", (socket) =>
      socket.end("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"),
    );
    const client = await rawClient(router.port);
    client.send("GET / HTTP/1.0\r\nHost: eof.test\r\nConnection: keep-alive\r\n\r\n");
    const received = await client.close();
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received).toMatch(/\r\nConnection: close\r\n/);
    expect(received).not.toMatch(/Transfer-Encoding/i);
    expect(received.endsWith("\r\n\r\nuntil the end")).toBe(true);
  });

  it("takes a chunked body apart for an HTTP/1.0 client: the data alone, ended by closing its connection", async ({
    nats,
  }) => {
    // an endpoint that answers chunked whatever the request's version
    const router = await routeToRaw(nats, "old.test", (socket) => {
      socket.write(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
      );
      setImmediate(() => socket.write("6;x=y\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"));
    });
    const client = await rawClient(router.port);
    client.send("GET / HTTP/1.0\r\nHost: old.test\r\nConnection: keep-alive\r\nX-Request-Id: r1\r\n\r\n");
    expect(await client.close()).toBe(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Request-Id: r1\r\nConnection: close\r\n\r\nhello world",
    );
  });

  it("relays a CGI script's body that ends when the endpoint closes to HTTP/1.0 and Connection: close clients as it is", async ({
    nats,
  }) => {
    const router = await routeToRaw(nats, "cgi.test", busyboxCgi);
    for (const [version, extra] of [
      ["1.0", ""],
      ["1.1", "Connection: close\r\n"],
    ]) {
      const client = await rawClient(router.port);
      client.send(`GET /cgi-bin/x HTTP/${version}\r\nHost: cgi.test\r\n${extra}X-Request-Id: r2\r\n\r\n`);
      expect(await client.close()).toBe(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Request-Id: r2\r\nConnection: close\r\n\r\nfrom a CGI script\n",
      );
    }
  });

  it("answers 502 when a body an HTTP/1.0 client would get has a transfer coding other than chunked", async ({
    nats,
  }) => {
    const router = await routeToRaw(nats, "gzip.test", (socket) =>
      socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    );
    const client = await rawClient(router.port);
    client.send("GET / HTTP/1.0\r\nHost: gzip.test\r\n\r\n");
    const received = await client.close();
    expect(received).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(received).not.toMatch(/Transfer-Encoding/i);
  });

  it("re-frames a body that ends when the endpoint closes as chunked for an HTTP/1.1 client and keeps its connection", async ({
    nats,
  }) => {
    const router = await routeToRaw(nats, "cgi.test", busyboxCgi);
    const client = await rawClient(router.port);
    client.send(get("/cgi-bin/x", "cgi.test"));
    const first = await client.receive((r) => r.endsWith("0\r\n\r\n"), "re-framed response");
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\n/);
    expect(first).toMatch(/\r\nTransfer-Encoding: chunked\r\n/);
    expect(first).not.toMatch(/Connection: close/);
    expect(dechunk(first.slice(first.indexOf("\r\n\r\n") + 4))).toBe("from a CGI script\n");
    client.send(get("/again", "cgi.test"));
    await client.receive((r) => responses(r).length === 2 && r.endsWith("0\r\n\r\n"), "second response");
    expect(client.closed).toBe(false);
  });

  it("answers a malformed request with 400 and closes the connection", async ({ nats }) => {
    const { router } = await startTestRouter(nats);
    const client = await rawClient(router.port);
    client.send("GET / HTTP/1.1\r\nHost : spaced.test\r\n\r\n");
    const received = await client.close();
    expect(received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(received).toMatch(/\r\nConnection: close\r\n/);
  });

  it("answers a head with a bare LF at once, before its end arrives, as llhttp does", async ({ nats }) => {
    const { router } = await startTestRouter(nats);
    const client = await rawClient(router.port);
    client.send("GET / HTTP/1.1\nHost: lf.test\r\n");
    expect(await client.close()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it("answers a request head past 16 KiB as llhttp counts it with 431 and closes the connection", async ({
    nats,
  }) => {
    const { router } = await startTestRouter(nats);
    const client = await rawClient(router.port);
    client.send(`GET / HTTP/1.1\r\nHost: big.test\r\nX-Big: ${"x".repeat(17 * 1024)}\r\n\r\n`);
    expect(await client.close()).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  it("answers 431 to an unfinished head past 128 KiB on the wire, however little of it llhttp would count", async ({
    nats,
  }) => {
    const { router } = await startTestRouter(nats);
    const client = await rawClient(router.port);
    client.send(`GET / HTTP/1.1\r\nHost: big.test\r\nX-Padded:${" ".repeat(128 * 1024)}`);
    expect(await client.close()).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  it("closes the client connection when the endpoint dies in the middle of a response", async ({ nats }) => {
    const { router, nc } = await startTestRouter(nats);
    const web = await tcpBackend((socket) => {
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b", () => socket.destroy());
      });
    });
    await registerRoute(nc, router, web.port, "dies.test");
    const client = await rawClient(router.port);
    client.send(get("/", "dies.test"));
    const received = await client.close();
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received.endsWith("only ten b")).toBe(true);
  });
});
