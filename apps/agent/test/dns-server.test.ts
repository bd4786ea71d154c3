import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";
import { freePort } from "@grove/testkit/services";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { InternalNames } from "../src/dns/name-table";
import { CellDnsServer } from "../src/dns/server";
import { framed, nextFrame, UpstreamResolvers } from "../src/dns/upstream";
import { decodeAnswers, decodeQuery, encodeAnswer, encodeQuestion, RCODE } from "../src/dns/wire";

const log = pino({ level: "silent" });
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An upstream resolver on loopback (UDP and TCP) answering every A question with 192.0.2.1. */
async function fakeUpstream(port: number): Promise<void> {
  const reply = (message: Uint8Array) => {
    const query = decodeQuery(message);
    return encodeAnswer({
      query,
      ...(query.questions[0] ? { question: query.questions[0] } : {}),
      rcode: RCODE.noError,
      authoritative: false,
      addresses: ["192.0.2.1"],
    });
  };
  const udp = createSocket("udp4");
  udp.on("message", (message, from) => udp.send(reply(message), from.port, from.address));
  await new Promise<void>((resolve) => udp.bind(port, "127.0.0.1", resolve));
  const tcp = createServer((socket) => {
    socket.on("data", (chunk) => {
      const frame = nextFrame(chunk);
      if (frame) socket.end(framed(reply(frame.message)));
    });
  });
  await new Promise<void>((resolve) => tcp.listen(port, "127.0.0.1", resolve));
  closers.push(async () => {
    udp.close();
    await new Promise((resolve) => tcp.close(resolve));
  });
}

async function cellResolver(upstreamPort: number): Promise<number> {
  const port = await freePort();
  const names = new InternalNames();
  names.replace({
    tenants: [{ tenantId: "alpha", names: [{ name: "web.alpha.internal", addresses: ["10.250.0.2"] }] }],
  });
  const upstream = new UpstreamResolvers(["127.0.0.1"], 1_000, upstreamPort);
  const server = new CellDnsServer({
    address: "127.0.0.1",
    port,
    names,
    // loopback stands for a container of tenant alpha
    tenantOf: (address) => (address === "127.0.0.1" ? "alpha" : undefined),
    forward: (message, transport) => upstream.forward(message, transport),
    log,
  });
  await server.start();
  closers.push(() => server.close());
  expect(server.listening).toBe(true);
  return port;
}

function overUdp(port: number, message: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const timer = setTimeout(() => reject(new Error("no UDP answer")), 3_000);
    socket.on("message", (answer) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    });
    socket.send(message, port, "127.0.0.1");
  });
}

function overTcp(port: number, message: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(framed(message)));
    let got = Buffer.alloc(0);
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      got = Buffer.concat([got, chunk]);
      const frame = nextFrame(got);
      if (frame) {
        socket.destroy();
        resolve(frame.message);
      }
    });
  });
}

describe("the cell's resolver on real sockets", () => {
  it("answers internal names over UDP and TCP and forwards the rest to its upstream over the same transport", async () => {
    const upstreamPort = await freePort();
    await fakeUpstream(upstreamPort);
    const port = await cellResolver(upstreamPort);
    for (const ask of [overUdp, overTcp]) {
      expect(decodeAnswers(await ask(port, encodeQuestion(11, "web.alpha.internal")))).toEqual({
        id: 11,
        rcode: RCODE.noError,
        truncated: false,
        addresses: ["10.250.0.2"],
      });
      expect(decodeAnswers(await ask(port, encodeQuestion(12, "db.beta.internal")))).toMatchObject({
        id: 12,
        rcode: RCODE.nxDomain,
      });
      // the upstream saw another id; the caller gets its own back
      expect(decodeAnswers(await ask(port, encodeQuestion(13, "example.org")))).toEqual({
        id: 13,
        rcode: RCODE.noError,
        truncated: false,
        addresses: ["192.0.2.1"],
      });
    }
  });

  it("answers SERVFAIL when no upstream answers", async () => {
    const port = await cellResolver(await freePort());
    expect(decodeAnswers(await overUdp(port, encodeQuestion(21, "example.org")))).toMatchObject({
      id: 21,
      rcode: RCODE.servFail,
    });
  });

  it("starts while its address is not on the host yet, without listening", async () => {
    const server = new CellDnsServer({
      address: "192.0.2.53",
      port: await freePort(),
      names: new InternalNames(),
      tenantOf: () => undefined,
      forward: async () => undefined,
      log,
    });
    await server.start();
    closers.push(() => server.close());
    expect(server.listening).toBe(false);
  });
});
