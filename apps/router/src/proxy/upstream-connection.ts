import { connect, type Socket } from "node:net";
import { BodyFramer, MalformedChunk } from "../http1/body-framer";
import { hasBareLf } from "../http1/header-text";
import {
  clientResponseHead,
  MalformedResponse,
  parseResponseHead,
  type Reframing,
  type ResponseHead,
} from "../http1/response-head";
import type { Endpoint } from "../route-table";
import type { ClientConnection } from "./client-connection";
import type { Exchange } from "./exchange";
import type { UpstreamPool } from "./upstream-pool";

const HEAD_END = Buffer.from("\r\n\r\n");
const MAX_RESPONSE_HEAD = 64 * 1024;
/**
 * Every endpoint connection reads into this one buffer (reads are handled synchronously, one at a
 * time); bytes that must outlive the read are copied out, usually together with a response head.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * One keep-alive connection to an endpoint. Carries one exchange at a time, or several GET/HEAD
 * requests written together (HTTP/1.1 pipelining) whose responses come back in order. Parses each
 * response head, rewrites it for the client, and passes the body through as it arrives.
 */
export class UpstreamConnection {
  readonly socket: Socket;
  connected = false;
  /** responses completed on this connection */
  served = 0;
  /** coarse time when it last went idle */
  idleSince = 0;
  /** coarse time of the last write or completed response */
  progressAt = 0;
  /** closes after the current response instead of serving again */
  retiring = false;
  tunnel = false;
  /** exchanges written and not yet answered, oldest first, from index `next` */
  private queue: Exchange[] = [];
  private next = 0;
  private partial: Buffer | null = null;
  /** framing of the response body being passed on; undefined while a head is expected */
  private body: BodyFramer | undefined;
  private bodyComplete = false;
  /**
   * chunked: the body ends with this connection and goes to the client as chunks; unchunked: a
   * chunked body goes to an HTTP/1.0 client as its chunks' data
   */
  private reframing: Reframing = undefined;
  /** where the chunks' data lies in the current read (start, end, start, end…), when unchunking */
  private readonly chunkData: number[] = [];
  private upstreamKeepAlive = true;
  private clientKeepAlive = true;
  private waitingForDrain = false;
  private error: NodeJS.ErrnoException | undefined;
  /** why the router gave up on the connection: the exchange it was on gets a 502, not a resend */
  private failure: string | undefined;

  constructor(
    private readonly pool: UpstreamPool,
    endpoint: Endpoint,
    connectTimeoutMs: number,
  ) {
    this.socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      noDelay: true,
      onread: { buffer: readBuffer, callback: (bytes) => this.onRead(bytes) },
    });
    this.socket.setTimeout(connectTimeoutMs);
    this.socket.once("connect", () => this.onConnect());
    this.socket.on("timeout", () =>
      this.destroy(Object.assign(new Error("connect timeout"), { code: "ETIMEDOUT" })),
    );
    this.socket.on("error", (error: NodeJS.ErrnoException) => {
      this.error ??= error;
    });
    this.socket.on("end", () => this.onEnd());
    this.socket.on("close", () => this.onClose());
  }

  /** unanswered exchanges */
  get inFlight(): number {
    return this.queue.length - this.next;
  }

  /** Writes the heads of `exchanges` in one write; request bodies follow once connected. */
  send(exchanges: Exchange[]): void {
    let heads = "";
    for (const exchange of exchanges) {
      exchange.upstream = this;
      exchange.reusedConnection = this.served > 0;
      exchange.pipelined = exchanges.length > 1;
      this.queue.push(exchange);
      heads += exchange.upstreamHead;
    }
    this.progressAt = this.pool.clock.now;
    this.socket.write(heads, "latin1");
    if (this.connected) this.announceReady(exchanges);
  }

  writeBody(chunk: Buffer): boolean {
    return this.socket.write(chunk);
  }

  /** Tunnel traffic from the client, paused while this side is backed up. */
  forwardFromClient(chunk: Buffer, client: ClientConnection): void {
    if (!this.socket.write(chunk)) {
      client.socket.pause();
      this.socket.once("drain", () => client.socket.resume());
    }
  }

  destroy(error?: Error): void {
    this.socket.destroy(error);
  }

  /** The client of `exchange` went away: close unless others wait on this connection. */
  abandon(exchange: Exchange): void {
    const current = exchange === this.queue[this.next];
    if (this.tunnel || this.inFlight <= 1 || (current && this.body?.kind === "close")) {
      this.destroy();
    } else if (current && this.waitingForDrain) {
      this.waitingForDrain = false;
      this.socket.resume();
    }
  }

  /**
   * Gives up on the connection when the response it waits for has not begun `timeoutMs` after its
   * request was read: that request gets a 502, the ones behind it are sent again. True if so.
   */
  timedOut(now: number, timeoutMs: number): boolean {
    const current = this.queue[this.next];
    if (this.tunnel || current === undefined || current.responseStarted) return false;
    if (now - current.startedAt < timeoutMs) return false;
    for (const behind of this.queue.splice(this.next + 1)) {
      behind.upstream = undefined;
      this.pool.unanswered(behind, "behind a response that timed out", true);
    }
    this.fail(`no response within ${timeoutMs / 1000} s`);
    return true;
  }

  /**
   * Pipelined requests stuck behind a response that takes longer than `stallMs` are sent again on
   * connections of their own; this one closes after the response it is on.
   */
  releaseStalled(now: number, stallMs: number): boolean {
    if (this.tunnel || this.inFlight <= 1 || now - this.progressAt < stallMs) return false;
    const stalled = this.queue.splice(this.next + 1);
    this.retiring = true;
    for (const exchange of stalled) {
      exchange.upstream = undefined;
      this.pool.unanswered(exchange, "stalled behind a slow response", true);
    }
    return true;
  }

  private onConnect(): void {
    this.connected = true;
    this.socket.setTimeout(0);
    this.announceReady(this.queue);
  }

  private announceReady(exchanges: Exchange[]): void {
    for (const exchange of exchanges) {
      if (exchange.head.body !== "none" && !exchange.abandoned) exchange.client.upstreamReady(this);
    }
  }

  private onRead(bytes: number): boolean {
    let view = readBuffer.subarray(0, bytes);
    if (this.partial !== null) {
      view = Buffer.concat([this.partial, view]);
      this.partial = null;
    }
    if (this.tunnel) return this.pass(this.queue[this.next] as Exchange, Buffer.from(view));
    let pos = 0;
    let flowing = true;
    while (pos < view.length) {
      if (this.socket.destroyed) return false;
      const exchange = this.queue[this.next];
      if (exchange === undefined) {
        this.fail("bytes no request asked for");
        return false;
      }
      let out: Buffer;
      if (this.body === undefined) {
        let end = view.indexOf(HEAD_END, pos);
        let text = end === -1 ? "" : view.toString("latin1", pos, end + 2);
        let bodyStart = end + 4;
        if (end === -1 || hasBareLf(text)) {
          end = bareLfHeadEnd(view, pos);
          if (end !== -1) {
            text = view.toString("latin1", pos, end);
            bodyStart = end + (view[end] === 13 ? 2 : 1);
          }
        }
        if (end === -1) {
          if (view.length - pos > MAX_RESPONSE_HEAD) this.fail("response head too large");
          else this.partial = Buffer.from(view.subarray(pos));
          return flowing;
        }
        let head: ResponseHead;
        try {
          head = parseResponseHead(text, exchange.head.method);
        } catch (error) {
          if (!(error instanceof MalformedResponse)) throw error;
          this.fail(error.message);
          return false;
        }
        pos = bodyStart;
        if (head.status < 200 && head.status !== 101) {
          // no interim responses to an HTTP/1.0 client (RFC 9110 §15.2)
          if (!exchange.abandoned && exchange.head.minor === 1) exchange.client.write(`${head.kept}\r\n`);
          continue;
        }
        if (head.status === 101) return this.startTunnel(exchange, head, view.subarray(pos));
        if (!this.startResponse(exchange, head)) return false;
        const connection = this.clientKeepAlive
          ? exchange.head.minor === 0
            ? "keep-alive"
            : undefined
          : "close";
        const headText = clientResponseHead(head, exchange.requestId, connection, this.reframing);
        if (head.body === "none") {
          flowing = this.pass(exchange, headText);
          this.finish(exchange);
          continue;
        }
        this.body = this.framerFor(head);
        const stop = this.takeBody(view, pos);
        if (stop === -1) return false;
        out = this.bodyOut(headText, view, pos, stop);
        pos = stop;
      } else {
        const stop = this.takeBody(view, pos);
        if (stop === -1) return false;
        out = this.bodyOut("", view, pos, stop);
        pos = stop;
      }
      flowing = this.pass(exchange, out);
      if (this.bodyComplete) this.finish(exchange);
    }
    return flowing;
  }

  /** Where this read's share of the body ends (the view's end if the body goes on); -1 if malformed. */
  private takeBody(view: Buffer, pos: number): number {
    let end: number;
    try {
      end = (this.body as BodyFramer).take(view, pos, view.length);
    } catch (error) {
      if (!(error instanceof MalformedChunk)) throw error;
      this.fail(error.message);
      return -1;
    }
    this.bodyComplete = end !== -1;
    return end === -1 ? view.length : end;
  }

  /**
   * `prefix` (latin1) and the body bytes from `from` to `to` as one buffer for the client; a chunk
   * of their own when the body is re-framed as chunked, only the chunks' data when it is unchunked.
   */
  private bodyOut(prefix: string, view: Buffer, from: number, to: number): Buffer {
    if (this.reframing === "unchunked") return this.chunkDataOut(prefix, view);
    const size = to - from;
    const chunkLine = this.reframing === "chunked" && size > 0 ? `${size.toString(16)}\r\n` : "";
    const out = Buffer.allocUnsafe(prefix.length + chunkLine.length + size + (chunkLine === "" ? 0 : 2));
    let at = prefix.length === 0 ? 0 : out.write(prefix, 0, "latin1");
    if (chunkLine !== "") at += out.write(chunkLine, at, "latin1");
    view.copy(out, at, from, to);
    if (chunkLine !== "") out.write("\r\n", at + size, "latin1");
    return out;
  }

  /** `prefix` (latin1) and the data of the chunks take() found in this read, as one buffer. */
  private chunkDataOut(prefix: string, view: Buffer): Buffer {
    const data = this.chunkData;
    let size = prefix.length;
    for (let i = 0; i < data.length; i += 2) size += (data[i + 1] as number) - (data[i] as number);
    const out = Buffer.allocUnsafe(size);
    let at = prefix.length === 0 ? 0 : out.write(prefix, 0, "latin1");
    for (let i = 0; i < data.length; i += 2) at += view.copy(out, at, data[i], data[i + 1]);
    data.length = 0;
    return out;
  }

  /**
   * A response whose body ends with the endpoint's connection (CGI scripts, HTTP/1.0 servers) goes
   * to an HTTP/1.1 client that keeps its connection as chunked, as nginx and gorouter do; to others
   * as it is, and their connection closes after it. An HTTP/1.0 client cannot read chunks (RFC 9112
   * §6.1) nor any Transfer-Encoding: a chunked body goes to it as the chunks' data, ended by closing
   * its connection; a body with other transfer codings cannot go to it at all (false: the exchange
   * fails with a 502).
   */
  private startResponse(exchange: Exchange, head: ResponseHead): boolean {
    const client = exchange.head;
    if (client.minor === 0 && head.transferEncoding && head.body !== "none" && !head.onlyChunked) {
      this.fail("a transfer coding an HTTP/1.0 client cannot read");
      return false;
    }
    exchange.responseStarted = true;
    this.pool.responded(exchange, head.status);
    this.upstreamKeepAlive = head.keepAlive;
    const clientMayStay = client.keepAlive && client.upgrade === undefined;
    if (client.minor === 0) this.reframing = head.transferEncoding ? "unchunked" : undefined;
    else
      this.reframing =
        clientMayStay && head.body === "close" && !head.transferEncoding ? "chunked" : undefined;
    this.clientKeepAlive =
      clientMayStay &&
      (head.body === "none" ||
        (this.reframing !== "unchunked" && (head.body !== "close" || this.reframing === "chunked")));
    return true;
  }

  private framerFor(head: ResponseHead): BodyFramer {
    if (head.body === "length") return BodyFramer.length(head.contentLength);
    if (head.body !== "chunked") return BodyFramer.untilClose();
    if (this.reframing !== "unchunked") return BodyFramer.chunked();
    return BodyFramer.chunked(undefined, (_buf, start, end) => this.chunkData.push(start, end));
  }

  private startTunnel(exchange: Exchange, head: ResponseHead, rest: Buffer): boolean {
    if (exchange.head.upgrade === undefined) {
      this.fail("101 to a request that did not ask to switch protocols");
      return false;
    }
    if (!this.startResponse(exchange, head)) return false;
    this.tunnel = true;
    const headText = clientResponseHead(head, exchange.requestId, undefined);
    const out = Buffer.allocUnsafe(headText.length + rest.length);
    out.write(headText, 0, "latin1");
    rest.copy(out, headText.length);
    const flowing = this.pass(exchange, out);
    const early = exchange.client.startTunnel();
    if (early !== null) this.socket.write(early);
    return flowing;
  }

  /** Passes bytes to the exchange's client, pausing this connection while the client is backed up. */
  private pass(exchange: Exchange, chunk: Buffer | string): boolean {
    if (exchange.abandoned || exchange.client.write(chunk)) return true;
    if (!this.waitingForDrain) {
      this.waitingForDrain = true;
      this.socket.pause();
      exchange.client.socket.once("drain", () => {
        this.waitingForDrain = false;
        this.socket.resume();
      });
    }
    return false;
  }

  private finish(exchange: Exchange): void {
    if (this.reframing === "chunked") this.pass(exchange, "0\r\n\r\n");
    this.reframing = undefined;
    this.chunkData.length = 0;
    exchange.upstream = undefined;
    this.body = undefined;
    this.bodyComplete = false;
    this.next += 1;
    this.served += 1;
    this.progressAt = this.pool.clock.now;
    if (this.next === this.queue.length) {
      this.queue.length = 0;
      this.next = 0;
    }
    if (!this.upstreamKeepAlive || this.retiring || !exchange.requestSent) this.destroy();
    else if (this.inFlight === 0) this.pool.release(this);
    if (!exchange.abandoned) exchange.client.responseDone(this.clientKeepAlive);
  }

  private fail(reason: string): void {
    this.failure ??= reason;
    this.destroy();
  }

  private onEnd(): void {
    const exchange = this.queue[this.next];
    if (exchange && this.tunnel) {
      if (!exchange.abandoned) exchange.client.close();
    } else if (exchange && this.body?.kind === "close") {
      this.upstreamKeepAlive = false;
      this.finish(exchange);
    }
    this.destroy();
  }

  private onClose(): void {
    this.pool.remove(this);
    const unanswered = this.queue.slice(this.next);
    this.queue.length = 0;
    this.next = 0;
    const reason = this.failure ?? this.error?.code ?? "connection closed";
    unanswered.forEach((exchange, i) => {
      exchange.upstream = undefined;
      if (exchange.abandoned) return;
      if (!this.connected) this.pool.connectFailed(exchange, reason);
      else if (this.tunnel) this.error ? exchange.client.abort() : exchange.client.close();
      else if (exchange.responseStarted) exchange.client.abort();
      else {
        const resend =
          this.failure === undefined && exchange.replayable && (i > 0 || exchange.reusedConnection);
        this.pool.unanswered(exchange, reason, resend);
      }
    });
  }
}

/**
 * Where a response head whose lines end in bare LFs ends: the index just past the line break of its
 * last header line (a blank line follows), or -1 while the head is unfinished.
 */
function bareLfHeadEnd(view: Buffer, pos: number): number {
  for (let lf = view.indexOf(10, pos); lf !== -1; lf = view.indexOf(10, lf + 1)) {
    const next = view[lf + 1];
    if (next === 10 || (next === 13 && view[lf + 2] === 10)) return lf + 1;
  }
  return -1;
}
