import { connect } from "node:net";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { onCleanup, registerRoute, startTestRouter, until } from "../fixtures";
import { headSizeCorpus, type SizeCase } from "./head-size-corpus";
import { type Llhttp, llhttpParse, type ParsedRequest } from "./llhttp";
import { recordingBackend } from "./recording-backend";
import { type Case, corpus, HOST } from "./request-corpus";

/**
 * What the router must do with a case, from what llhttp makes of it: forward exactly the requests
 * llhttp reads in full, framed the same, up to the first one RFC 9112 has a server refuse although
 * llhttp reads it (versions other than 1.0 and 1.1, CONNECT, not exactly one Host), which the
 * router answers with `refusal`; llhttp also reads RTSP/1.0 request lines, which the router refuses.
 * A head llhttp refuses gets a 4xx and the connection closed.
 */
interface Expectation {
  forwarded: string[];
  refusal: number | undefined;
  headRejected: boolean;
  /** llhttp waits for more bytes: the router may too */
  unfinished: boolean;
}

function summary(request: ParsedRequest): string {
  const { url } = request;
  const shown = url.length > 80 ? `${url.slice(0, 40)}…(${url.length} bytes)` : url;
  return `${request.method} ${shown} HTTP/${request.version} body=${JSON.stringify(request.body)}`;
}

function routerRefusal(request: ParsedRequest): number | undefined {
  if (request.version !== "1.0" && request.version !== "1.1") return 505;
  if (request.method === "CONNECT") return 501;
  let hosts = 0;
  for (let i = 0; i < request.headers.length; i += 2)
    if (request.headers[i]?.toLowerCase() === "host") hosts++;
  return hosts === 1 ? undefined : 400;
}

const RTSP_FIRST_LINE = /^[\r\n]*[^\r\n]* RTSP\/[^\r\n]*\r\n/;

function expectation(oracle: Llhttp, bytes: Buffer): Expectation {
  const forwarded: string[] = [];
  const rtsp = RTSP_FIRST_LINE.test(bytes.toString("latin1"));
  for (const request of oracle.requests) {
    const refusal = rtsp && forwarded.length === 0 ? 400 : routerRefusal(request);
    if (refusal !== undefined) return { forwarded, refusal, headRejected: false, unfinished: false };
    if (!request.complete) break;
    forwarded.push(summary(request));
  }
  const inBody = oracle.requests.some((request) => !request.complete);
  const closing = oracle.error === undefined || oracle.error === "HPE_CLOSED_CONNECTION";
  return {
    forwarded,
    refusal: undefined,
    headRejected: !closing && !inBody,
    unfinished: oracle.error === undefined && inBody,
  };
}

interface Outcome {
  forwarded: string[];
  received: string;
  closed: boolean;
}

/** Sends a case on a connection of its own and half-closes it; waits for the router to close. */
async function sendThroughRouter(
  port: number,
  requests: ParsedRequest[],
  bytes: Buffer,
  patienceMs: number,
): Promise<Outcome> {
  const before = requests.length;
  const socket = connect(port, "127.0.0.1");
  onCleanup(() => void socket.destroy());
  let received = "";
  let closed = false;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
  });
  socket.on("error", () => undefined);
  socket.on("close", () => {
    closed = true;
  });
  socket.end(bytes);
  await until(() => closed, patienceMs).catch(() => socket.destroy());
  return { forwarded: requests.slice(before).map(summary), received, closed };
}

const statuses = (received: string) =>
  [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

const sizeCases = headSizeCorpus();
const cases: Case[] = [...corpus(), ...sizeCases];

/** What llhttp made of a head-size case. */
function verdict(oracle: Llhttp): string {
  if (oracle.error !== undefined) return oracle.error === "HPE_HEADER_OVERFLOW" ? "refuses" : oracle.error;
  if (oracle.requests.length === 0) return "waits";
  return oracle.complete.length === oracle.requests.length ? "takes" : "reads a body";
}
const groups = [...new Set(cases.map((c) => c.group))];

describeWith(["nats"], "router against llhttp on malformed and edge-case requests", () => {
  it("has a corpus of at least 200 distinct cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(cases.map((c) => c.bytes.toString("latin1"))).size).toBe(cases.length);
  });

  it("has head-size cases one byte below, at and one byte past the header limit as llhttp counts it", () => {
    const verdicts = sizeCases.map((c: SizeCase) => `${c.name}: ${verdict(llhttpParse(c.bytes))}`);
    expect(verdicts).toEqual(sizeCases.map((c) => `${c.name}: ${c.verdict}`));
  });

  it.for(groups)("accepts exactly what llhttp accepts, framed the same: %s", async (group, { nats }) => {
    const { router, nc } = await startTestRouter(nats);
    const backend = await recordingBackend();
    await registerRoute(nc, router, backend.port, HOST);
    const mismatches: string[] = [];
    for (const c of cases.filter((x: Case) => x.group === group)) {
      const expected = expectation(llhttpParse(c.bytes), c.bytes);
      const outcome = await sendThroughRouter(
        router.port,
        backend.requests,
        c.bytes,
        expected.unfinished ? 300 : 5_000,
      );
      const problems: string[] = [];
      if (JSON.stringify(outcome.forwarded) !== JSON.stringify(expected.forwarded))
        problems.push(
          `forwarded ${JSON.stringify(outcome.forwarded)}, llhttp ${JSON.stringify(expected.forwarded)}`,
        );
      const answered = statuses(outcome.received);
      if (expected.refusal !== undefined && answered.at(-1) !== expected.refusal)
        problems.push(`answered ${answered.join(",")}, expected ${expected.refusal} last`);
      if (expected.headRejected && !((answered.at(-1) ?? 0) >= 400 && outcome.closed))
        problems.push(`llhttp refuses the head; router answered ${answered.join(",") || "nothing"}`);
      if (!expected.unfinished && !outcome.closed) problems.push("router kept the connection open");
      if (problems.length > 0) mismatches.push(`${c.name}: ${problems.join("; ")}`);
    }
    expect(mismatches).toEqual([]);
  });
});
