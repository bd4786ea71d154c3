import type { Socket } from "node:net";
import { BodyFramer, MalformedChunk } from "../http1/body-framer";
import { HeadMeter } from "../http1/head-meter";
import {
  forwardedRequestHead,
  MalformedRequest,
  parseRequestHead,
  type RequestHead,
} from "../http1/request-head";
import { plainResponse } from "../http1/responses";
import type { ProxyContext } from "./context";
import { readDirectly } from "./direct-reads";
import { Exchange } from "./exchange";
import type { UpstreamConnection } from "./upstream-connection";

const HEAD_END = Buffer.from("\r\n\r\n");
/**
 * Every client connection reads into this one buffer (reads are handled synchronously, one at a
 * time); what must outlive a read is copied out.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);
/** writes held back past this size are sent at once */
const OUTBOX_BYTES = 16 * 1024;

/**
 * head: reading a request head · body: forwarding a request body · waiting: for the response ·
 * tunnel: raw bytes both ways after a 101 · closed
 */
type ClientState = "head" | "body" | "waiting" | "tunnel" | "closed";

/**
 * One client connection: reads request heads, hands each request to the dispatcher, streams its
 * body, and takes the next request only once the response is written, so pipelined requests are
 * answered in order.
 */
export class ClientConnection {
  state: ClientState = "head";
  /** coarse time of the last request or response; the sweeper closes idle connections */
  lastActive: number;
  readonly ip: string;
  private buffered: Buffer | null = null;
  private exchange: Exchange | undefined;
  private body: BodyFramer | undefined;
  /** the upstream connection a request body is streamed to, once it is connected */
  private bodySink: UpstreamConnection | undefined;
  private parsing = false;
  /** the size of a large head as llhttp counts it, measured as its bytes arrive */
  private readonly meter = new HeadMeter();
  private outbox: Buffer | string | (Buffer | string)[] | null = null;
  private outboxBytes = 0;
  private ended = false;

  constructor(
    readonly socket: Socket,
    private readonly context: ProxyContext,
  ) {
    this.ip = socket.remoteAddress ?? "";
    this.lastActive = context.clock.now;
    // the server accepts sockets paused (pauseOnConnect) so reads can go straight to readBuffer
    const direct = readDirectly(socket, readBuffer, (bytes) =>
      this.onData(readBuffer.subarray(0, bytes), true),
    );
    if (!direct) socket.on("data", (chunk: Buffer) => this.onData(chunk, false));
    socket.on("end", () => this.onEnd());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.onClose());
    socket.resume();
  }

  /** `shared`: the bytes are in readBuffer, overwritten by the next read: copy what is kept. */
  private onData(chunk: Buffer, shared: boolean): void {
    switch (this.state) {
      case "tunnel":
        this.exchange?.upstream?.forwardFromClient(shared ? Buffer.from(chunk) : chunk, this);
        return;
      case "body":
        if (this.bodySink) this.forwardBody(chunk, shared);
        else this.buffer(shared ? Buffer.from(chunk) : chunk);
        return;
      case "head":
        this.buffered = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
        this.parseRequests();
        // an unfinished head, or what came after the one just read
        if (this.buffered !== null && this.buffered.buffer === readBuffer.buffer)
          this.buffered = Buffer.from(this.buffered);
        return;
      case "waiting":
        this.buffer(shared ? Buffer.from(chunk) : chunk);
        return;
    }
  }

  /**
   * Holds bytes of the next request while the current one is in flight; past the head limit the
   * socket pauses until the response is done (a larger head is read on then).
   */
  private buffer(chunk: Buffer): void {
    this.buffered = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
    if (this.buffered.length > this.context.maxHeadBytes) this.socket.pause();
  }

  private parseRequests(): void {
    this.parsing = true;
    try {
      while (this.state === "head" && this.buffered !== null) {
        const buffered = this.buffered;
        let start = 0;
        while (start < buffered.length && (buffered[start] === 13 || buffered[start] === 10)) start++;
        if (start === buffered.length) {
          this.buffered = null;
          this.meter.reset();
        }
        const end = buffered.indexOf(HEAD_END, start);
        const headEnd = end === -1 ? buffered.length : end + 4;
        if (this.tooLarge(buffered, start, headEnd)) {
          this.reject(new MalformedRequest(431, "request head too large"));
          return;
        }
        if (end === -1) {
          if (hasStrayLineBreak(buffered, start, buffered.length))
            this.reject(new MalformedRequest(400, "stray CR or LF in the head"));
          else if (buffered.length - start > this.context.maxHeadWireBytes)
            this.reject(new MalformedRequest(431, "request head too large"));
          else if (this.ended) this.close();
          return;
        }
        this.buffered = end + 4 < buffered.length ? buffered.subarray(end + 4) : null;
        this.meter.reset();
        let head: RequestHead;
        try {
          head = parseRequestHead(buffered.toString("latin1", start, end + 2));
        } catch (error) {
          if (!(error instanceof MalformedRequest)) throw error;
          this.reject(error);
          return;
        }
        this.startExchange(head);
      }
      if (this.state === "head" && this.ended) this.close();
    } finally {
      this.parsing = false;
    }
  }

  /**
   * Whether the head from `start` to `end` (maybe unfinished) reaches the header limit as llhttp
   * counts it: never below the limit in bytes on the wire, so most heads are not measured at all.
   */
  private tooLarge(buffered: Buffer, start: number, end: number): boolean {
    const limit = this.context.maxHeadBytes;
    return end - start >= limit && this.meter.measure(buffered, start, end) >= limit;
  }

  private startExchange(head: RequestHead): void {
    const { context } = this;
    const now = performance.now();
    this.lastActive = context.clock.now;
    const requestId = head.requestId ?? context.nextRequestId();
    const pick = context.table.pick(head.host, head.target);
    if (!pick) {
      const keepOpen = head.keepAlive && head.body === "none";
      context.traffic.response(404);
      this.state = "waiting";
      this.write(
        plainResponse(404, `Requested route ('${head.host}') does not exist.\n`, requestId, !keepOpen),
      );
      this.responseDone(keepOpen);
      return;
    }
    const upstreamHead = forwardedRequestHead(head, this.ip, requestId);
    const exchange = new Exchange(this, head, requestId, pick, upstreamHead, now);
    this.exchange = exchange;
    if (head.body === "none") this.state = "waiting";
    else {
      this.state = "body";
      this.body =
        head.body === "chunked"
          ? BodyFramer.chunked(context.maxHeadBytes)
          : BodyFramer.length(head.contentLength);
      this.socket.pause();
    }
    context.dispatcher.dispatch(exchange);
  }

  /** The exchange's connection is open: stream the request body to it from here on. */
  upstreamReady(upstream: UpstreamConnection): void {
    if (this.state !== "body") return;
    this.bodySink = upstream;
    const buffered = this.buffered;
    this.buffered = null;
    this.meter.reset();
    if (buffered !== null) this.forwardBody(buffered, false);
    if (this.state === "body") this.socket.resume();
  }

  /** `shared`: as for onData */
  private forwardBody(chunk: Buffer, shared: boolean): void {
    const sink = this.bodySink as UpstreamConnection;
    let end: number;
    try {
      end = (this.body as BodyFramer).take(chunk, 0, chunk.length);
    } catch (error) {
      if (!(error instanceof MalformedChunk)) throw error;
      this.context.log.debug({ err: error.message }, "malformed request body");
      sink.destroy();
      this.abort();
      return;
    }
    const part = end === -1 ? chunk : chunk.subarray(0, end);
    const flowing = part.length === 0 || sink.writeBody(shared ? Buffer.from(part) : part);
    if (end !== -1) {
      if (this.exchange) this.exchange.requestSent = true;
      this.state = "waiting";
      this.body = undefined;
      this.bodySink = undefined;
      if (end < chunk.length) this.buffer(shared ? Buffer.from(chunk.subarray(end)) : chunk.subarray(end));
    }
    if (!flowing) {
      this.socket.pause();
      sink.socket.once("drain", () => {
        if (this.state === "body" || this.state === "waiting") this.socket.resume();
      });
    }
  }

  /**
   * Writes response bytes (strings as latin1); false when the client is backed up and the sender
   * should wait for the socket's "drain". Small writes are held until the end of the event-loop
   * turn, after the turn's requests have gone out to endpoints: endpoints get their work before
   * clients are woken, and a client's bytes of one turn go out in one write.
   */
  write(chunk: Buffer | string): boolean {
    if (this.state === "closed") return true;
    if (this.outbox === null) {
      this.outbox = chunk;
      this.context.dispatcher.flushLater(this);
    } else if (Array.isArray(this.outbox)) this.outbox.push(chunk);
    else this.outbox = [this.outbox, chunk];
    this.outboxBytes += chunk.length;
    if (this.outboxBytes >= OUTBOX_BYTES) return this.flush();
    return !this.socket.writableNeedDrain;
  }

  /** Sends what write() held back; false when the socket is backed up. */
  flush(): boolean {
    const outbox = this.outbox;
    if (outbox === null) return true;
    this.outbox = null;
    this.outboxBytes = 0;
    if (!Array.isArray(outbox)) return this.socket.write(outbox, "latin1");
    this.socket.cork();
    for (const chunk of outbox) this.socket.write(chunk, "latin1");
    this.socket.uncork();
    return !this.socket.writableNeedDrain;
  }

  /** The exchange's response is complete: take the next request, or close. */
  responseDone(keepAlive: boolean): void {
    if (this.state === "closed") return;
    const unfinishedBody = this.state === "body";
    this.exchange = undefined;
    this.body = undefined;
    this.bodySink = undefined;
    if (!keepAlive || unfinishedBody) {
      this.close();
      return;
    }
    this.state = "head";
    this.lastActive = this.context.clock.now;
    if (this.socket.isPaused()) this.socket.resume();
    if (!this.parsing) this.parseRequests();
  }

  /** The exchange was answered with a 101: from now on bytes pass through untouched. */
  startTunnel(): Buffer | null {
    this.state = "tunnel";
    const rest = this.buffered;
    this.buffered = null;
    this.meter.reset();
    if (this.socket.isPaused()) this.socket.resume();
    return rest;
  }

  /** Answers a bad request and closes (RFC 9112 §2.2, §5). */
  private reject(error: MalformedRequest): void {
    this.context.traffic.response(error.status);
    this.context.log.debug({ err: error.message, status: error.status }, "rejected request");
    this.flush();
    this.socket.end(
      plainResponse(error.status, `${error.message}\n`, this.context.nextRequestId(), true),
      "latin1",
    );
    this.state = "closed";
  }

  close(): void {
    if (this.state === "closed") return;
    this.flush();
    this.state = "closed";
    this.socket.end();
  }

  /** Drops the connection at once: the response cannot be completed. */
  abort(): void {
    this.state = "closed";
    this.socket.destroy();
  }

  private onEnd(): void {
    this.ended = true;
    if (this.state === "head" && !this.parsing) this.parseRequests();
    else if (this.state === "tunnel") this.exchange?.upstream?.socket.end();
  }

  private onClose(): void {
    this.state = "closed";
    const exchange = this.exchange;
    this.exchange = undefined;
    if (exchange) this.context.dispatcher.abandon(exchange);
  }
}

/**
 * Whether the bytes of an unfinished head from `start` to `end` hold an LF without its CR or a CR
 * followed by something other than LF: llhttp refuses the head at once, so does the router.
 */
function hasStrayLineBreak(bytes: Buffer, start: number, end: number): boolean {
  for (let i = bytes.indexOf(10, start); i !== -1 && i < end; i = bytes.indexOf(10, i + 1))
    if (bytes[i - 1] !== 13) return true;
  for (let i = bytes.indexOf(13, start); i !== -1 && i < end; i = bytes.indexOf(13, i + 1))
    if (i + 1 < bytes.length && bytes[i + 1] !== 10) return true;
  return false;
}
