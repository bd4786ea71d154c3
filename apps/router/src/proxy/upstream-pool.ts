import type { Endpoint } from "../route-table";
import type { CoarseClock } from "./coarse-clock";
import type { Dispatcher } from "./dispatcher";
import type { Exchange } from "./exchange";
import { UpstreamConnection } from "./upstream-connection";

export interface PoolOptions {
  connectTimeoutMs: number;
  /** idle connections are closed after this long, before the endpoint's own keep-alive timeout (5 s in Node) */
  idleTimeoutMs: number;
  /** most GET/HEAD requests written together on one connection; 1 turns pipelining off */
  maxPipeline: number;
  /** a pipelined request answered later than this turns pipelining off for the endpoint for a while */
  pipelineSlowMs: number;
  /** pipelined requests waiting longer than this behind a response are sent again on their own */
  pipelineStallMs: number;
  /** how long an endpoint that was slow gets one request per connection */
  pipelineBackoffMs: number;
  /** an endpoint that has not begun its response this long after the request gets a 502 (gorouter's endpoint timeout) */
  responseTimeoutMs: number;
  /** connections to one endpoint at most (gorouter's max_conns_per_backend); more requests wait */
  maxConnections: number;
}

/**
 * The connections to one endpoint. Requests queue here during one turn of the event loop and go
 * out together when the dispatcher flushes: GET/HEAD requests share a connection and a write (up
 * to maxPipeline), others get a connection each. Idle connections are reused most recent first.
 */
export class UpstreamPool {
  pending: Exchange[] = [];
  /** in the dispatcher's list of pools to flush */
  queued = false;
  readonly connections = new Set<UpstreamConnection>();
  private idle: UpstreamConnection[] = [];
  private pipelineAfter = 0;
  readonly clock: CoarseClock;

  constructor(
    readonly endpoint: Endpoint,
    private readonly options: PoolOptions,
    private readonly dispatcher: Dispatcher,
  ) {
    this.clock = dispatcher.clock;
  }

  flush(now: number): void {
    const pending = this.pending;
    this.pending = [];
    const max = now >= this.pipelineAfter ? this.options.maxPipeline : 1;
    let batch: Exchange[] | undefined;
    for (const exchange of pending) {
      if (exchange.abandoned) continue;
      if (max > 1 && exchange.pipelinable && !exchange.fresh) {
        batch ??= [];
        batch.push(exchange);
        if (batch.length >= max) {
          this.send(batch, false);
          batch = undefined;
        }
      } else this.send([exchange], exchange.fresh);
    }
    if (batch) this.send(batch, false);
  }

  /** At the connection cap, what finds no connection waits in `pending` until one is free. */
  private send(exchanges: Exchange[], fresh: boolean): void {
    const connection = this.connection(fresh);
    if (connection) connection.send(exchanges);
    else this.pending.push(...exchanges);
  }

  release(connection: UpstreamConnection): void {
    connection.idleSince = this.clock.now;
    this.idle.push(connection);
    if (this.pending.length > 0) this.dispatcher.queue(this);
  }

  remove(connection: UpstreamConnection): void {
    this.connections.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
    if (this.pending.length > 0) this.dispatcher.queue(this);
  }

  responded(exchange: Exchange, status: number): void {
    const ms = this.dispatcher.responded(exchange, status);
    if (exchange.pipelined && ms > this.options.pipelineSlowMs) this.backOff(this.clock.now, "slow response");
  }

  /**
   * Sends one request per connection for a while: the endpoint is slow, and pipelining would
   * queue requests behind slow ones.
   */
  private backOff(now: number, reason: string): void {
    if (now < this.pipelineAfter) return;
    this.pipelineAfter = now + this.options.pipelineBackoffMs;
    this.dispatcher.pipeliningPaused(this.endpoint, reason);
  }

  connectFailed(exchange: Exchange, reason: string): void {
    this.dispatcher.connectFailed(exchange, reason);
  }

  unanswered(exchange: Exchange, reason: string, resend: boolean): void {
    this.dispatcher.unanswered(exchange, reason, resend);
  }

  /**
   * Closes connections idle too long; gives up on responses that do not begin in time and on
   * requests that waited that long for a connection; releases pipelined requests stuck behind
   * slow responses.
   */
  sweep(now: number): void {
    if (this.pending.length > 0 && !this.queued) {
      this.pending = this.pending.filter((exchange) => {
        if (now - exchange.startedAt < this.options.responseTimeoutMs) return true;
        this.dispatcher.unanswered(exchange, "no connection to it came free in time", false);
        return false;
      });
    }
    for (const connection of this.connections) {
      if (connection.inFlight === 0) {
        if (this.idle.includes(connection) && now - connection.idleSince > this.options.idleTimeoutMs)
          connection.destroy();
      } else if (connection.timedOut(now, this.options.responseTimeoutMs)) {
      } else if (connection.releaseStalled(now, this.options.pipelineStallMs)) {
        this.backOff(now, "stalled response");
      }
    }
  }

  get unused(): boolean {
    return this.connections.size === 0 && this.pending.length === 0;
  }

  close(): void {
    for (const connection of this.connections) connection.destroy();
  }

  private connection(fresh: boolean): UpstreamConnection | undefined {
    const idle = fresh ? undefined : this.idle.pop();
    if (idle) return idle;
    if (this.connections.size >= this.options.maxConnections) {
      // A request that needs a connection of its own may take an idle one's place.
      const spare = this.idle.shift();
      if (!spare) return undefined;
      this.remove(spare);
      spare.destroy();
    }
    const connection = new UpstreamConnection(this, this.endpoint, this.options.connectTimeoutMs);
    this.connections.add(connection);
    return connection;
  }
}
