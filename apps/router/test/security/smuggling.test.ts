import { describeWith, it, type TestNats } from "@grove/testkit";
import { expect } from "vitest";
import { rawClient, registerRoute, responses, startTestRouter, tcpBackend } from "../fixtures";
import { recordingBackend } from "./recording-backend";

const HOST = "smuggle.test";
/** the request an attacker hides in a body, hoping the endpoint reads it as one of its own */
const HIDDEN = `GET /admin HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
const chunkOf = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`;
const post = (...headers: string[]) =>
  `POST /upload HTTP/1.1\r\nHost: ${HOST}\r\n${headers.join("\r\n")}\r\n\r\n`;

/** Attacks the router must refuse outright: a 400, the connection closed, nothing reaches the endpoint. */
const refused: [string, string][] = [
  [
    "Content-Length beside Transfer-Encoding (CL.TE)",
    `${post("Content-Length: 6", "Transfer-Encoding: chunked")}0\r\n\r\nX`,
  ],
  [
    "Transfer-Encoding beside Content-Length (TE.CL)",
    `${post("Transfer-Encoding: chunked", "Content-Length: 4")}5c\r\n${HIDDEN}`,
  ],
  [
    "two different Content-Lengths",
    `${post("Content-Length: 0", `Content-Length: ${HIDDEN.length}`)}${HIDDEN}`,
  ],
  ["two equal Content-Lengths (llhttp refuses them)", `${post("Content-Length: 3", "Content-Length: 3")}abc`],
  ["a Content-Length list", `${post("Content-Length: 3, 3")}abc`],
  ["a malformed Content-Length", `${post("Content-Length: +3")}abc`],
  ["chunked that is not the last coding", `${post("Transfer-Encoding: chunked, identity")}${HIDDEN}`],
  ["chunked twice", `${post("Transfer-Encoding: chunked", "Transfer-Encoding: chunked")}${chunkOf(HIDDEN)}`],
  [
    "a Transfer-Encoding that only looks like chunked",
    `${post("Transfer-Encoding: xchunked")}${chunkOf(HIDDEN)}`,
  ],
  [
    "a Transfer-Encoding with a tab after chunked",
    `${post("Transfer-Encoding: chunked\t")}${chunkOf(HIDDEN)}`,
  ],
  [
    "a Transfer-Encoding folded onto a second line",
    `${post("Transfer-Encoding: gzip,", " chunked")}${chunkOf(HIDDEN)}`,
  ],
  ["a space before the colon", `${post("Transfer-Encoding : chunked")}${chunkOf(HIDDEN)}`],
  [
    "a header line ended by a bare LF",
    `POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nX: y\nTransfer-Encoding: chunked\r\n\r\n${chunkOf(HIDDEN)}`,
  ],
  ["a bare CR inside a header value", `${post("X: y\rTransfer-Encoding: chunked")}${chunkOf(HIDDEN)}`],
  ["a NUL inside a header value", `${post("X: y\0", `Content-Length: ${HIDDEN.length}`)}${HIDDEN}`],
];

/** Attacks whose bytes are legal: the endpoint must get exactly one request, the hidden one inside its body. */
const carried: [string, string][] = [
  [
    "Connection naming Content-Length",
    `${post("Connection: Content-Length", `Content-Length: ${HIDDEN.length}`)}${HIDDEN}`,
  ],
  [
    "Connection naming Transfer-Encoding",
    `${post("Connection: keep-alive, Transfer-Encoding", "Transfer-Encoding: chunked")}${chunkOf(HIDDEN)}`,
  ],
  [
    "Connection naming both framing headers and Host",
    `${post("Connection: Content-Length, Transfer-Encoding, Host", `Content-Length: ${HIDDEN.length}`)}${HIDDEN}`,
  ],
];

/** Bodies that break chunked framing after the head went on: the connection is cut, nothing hidden gets through. */
const broken: [string, string][] = [
  [
    "a chunk size with a space after it",
    `${post("Transfer-Encoding: chunked")}5 \r\nhello\r\n0\r\n\r\n${HIDDEN}`,
  ],
  [
    "a chunk size past 2^64",
    `${post("Transfer-Encoding: chunked")}10000000000000005\r\nhello\r\n0\r\n\r\n${HIDDEN}`,
  ],
  [
    "a chunk with more data than its size",
    `${post("Transfer-Encoding: chunked")}1\r\nhello\r\n0\r\n\r\n${HIDDEN}`,
  ],
  [
    "a chunk extension with a bare LF",
    `${post("Transfer-Encoding: chunked")}5;a\nhello\r\n0\r\n\r\n${HIDDEN}`,
  ],
  ["a folded trailer", `${post("Transfer-Encoding: chunked")}0\r\nX: y\r\n ${HIDDEN}\r\n\r\n`],
];

async function setUp(nats: TestNats) {
  const { router, nc } = await startTestRouter(nats);
  const backend = await recordingBackend();
  await registerRoute(nc, router, backend.port, HOST);
  /** a client of its own that must get its own answer, on the endpoint connection the attacker used */
  const victim = async () => {
    const client = await rawClient(router.port);
    client.send(`GET /victim HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    return client.receive((r) => r.endsWith("\r\n\r\nok"), "the victim's response");
  };
  return { router, backend, victim };
}

const paths = (requests: { method: string; url: string }[]) => requests.map((r) => `${r.method} ${r.url}`);

describeWith(["nats"], "router against request smuggling", () => {
  it.for(refused)("refuses %s with 400 and forwards nothing", async ([, attack], { nats }) => {
    const { router, backend, victim } = await setUp(nats);
    const attacker = await rawClient(router.port);
    attacker.send(attack);
    expect(await attacker.close()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    await victim();
    expect(paths(backend.requests)).toEqual(["GET /victim"]);
  });

  it.for(carried)(
    "forwards a request with %s as one request, its body intact",
    async ([, attack], { nats }) => {
      const { router, backend, victim } = await setUp(nats);
      const attacker = await rawClient(router.port);
      attacker.send(attack);
      await attacker.receive((r) => r.endsWith("\r\n\r\nok"), "the attacker's response");
      await victim();
      expect(paths(backend.requests)).toEqual(["POST /upload", "GET /victim"]);
      expect(backend.requests[0]?.body).toBe(HIDDEN);
    },
  );

  it.for(broken)(
    "cuts the connection on %s and lets nothing hidden through",
    async ([, attack], { nats }) => {
      const { router, backend, victim } = await setUp(nats);
      const attacker = await rawClient(router.port);
      attacker.send(attack);
      await attacker.close();
      await victim();
      expect(paths(backend.requests)).toEqual(["GET /victim"]);
    },
  );

  it("never passes a response's Content-Length beside chunked Transfer-Encoding to the client", async ({
    nats,
  }) => {
    const { router, nc } = await startTestRouter(nats);
    // the Content-Length claims the chunked body's bytes plus a forged response of its own
    const forged = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged";
    const web = await tcpBackend((socket) => {
      socket.on("data", () =>
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Length: ${10 + forged.length}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n0\r\n\r\n`,
        ),
      );
    });
    await registerRoute(nc, router, web.port, HOST);
    const client = await rawClient(router.port);
    client.send(`GET /a HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const first = await client.receive((r) => r.endsWith("0\r\n\r\n"), "the chunked response");
    expect(first).toMatch(/\r\nTransfer-Encoding: chunked\r\n/);
    expect(first).not.toMatch(/Content-Length/i);
    client.send(`GET /b HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    const both = await client.receive(
      (r) => responses(r).length === 2 && r.endsWith("0\r\n\r\n"),
      "a second response",
    );
    expect(both).not.toMatch(/forged/);
  });
});
