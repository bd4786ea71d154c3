import type { Logger } from "pino";
import { plainResponse } from "../http1/responses";
import type { TrafficCounters } from "../metrics";
import type { Endpoint } from "../route-table";
import type { ClientConnection } from "./client-connection";
import type { CoarseClock } from "./coarse-clock";
import type { Exchange } from "./exchange";
import { type PoolOptions, UpstreamPool } from "./upstream-pool";

/**
 * Sends exchanges to their endpoints' pools and decides what happens when an endpoint does not
 * answer: the next endpoint when the connection was refused, the same endpoint again when a kept-
 * alive or pipelined connection closed under a request that is safe to repeat, else a 502.
 * Exchanges dispatched during one turn of the event loop are flushed together at its end, so
 * requests from many clients reach an endpoint in one write.
 */
export class Dispatcher {
  private readonly pools = new Map<string, UpstreamPool>();
  private dirty: UpstreamPool[] = [];
  private unflushed: ClientConnection[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly options: PoolOptions,
    private readonly traffic: TrafficCounters,
    private readonly log: Logger,
    readonly clock: CoarseClock,
  ) {}

  dispatch(exchange: Exchange): void {
    const endpoint = exchange.endpoint;
    let pool = this.pools.get(endpoint.key);
    if (pool === undefined) {
      pool = new UpstreamPool(endpoint, this.options, this);
      this.pools.set(endpoint.key, pool);
    }
    pool.pending.push(exchange);
    this.queue(pool);
  }

  /** Flushes `pool` at the end of this turn of the event loop. */
  queue(pool: UpstreamPool): void {
    if (!pool.queued) {
      pool.queued = true;
      this.dirty.push(pool);
    }
    this.schedule();
  }

  /** Flushes `client`'s held-back writes at the end of this turn of the event loop. */
  flushLater(client: ClientConnection): void {
    this.unflushed.push(client);
    this.schedule();
  }

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.closed) return;
    const dirty = this.dirty;
    this.dirty = [];
    const now = this.clock.now;
    for (const pool of dirty) {
      pool.queued = false;
      pool.flush(now);
    }
    const unflushed = this.unflushed;
    this.unflushed = [];
    for (const client of unflushed) client.flush();
  };

  /** Counts a response; returns ms since its request was read. */
  responded(exchange: Exchange, status: number): number {
    const ms = performance.now() - exchange.startedAt;
    this.traffic.duration(ms / 1000);
    this.traffic.response(status);
    return ms;
  }

  connectFailed(exchange: Exchange, reason: string): void {
    const endpoint = `${exchange.endpoint.host}:${exchange.endpoint.port}`;
    this.log.debug({ route: exchange.route, endpoint, err: reason }, "endpoint refused");
    if (exchange.hasEndpointsLeft) {
      exchange.attempt += 1;
      this.traffic.retries += 1;
      this.dispatch(exchange);
    } else {
      this.answer(exchange, 502, `No instance of route '${exchange.route}' answered.\n`);
    }
  }

  unanswered(exchange: Exchange, reason: string, resend: boolean): void {
    if (resend && exchange.resent < 2) {
      exchange.resent += 1;
      exchange.fresh = true;
      this.dispatch(exchange);
      return;
    }
    const endpoint = `${exchange.endpoint.host}:${exchange.endpoint.port}`;
    this.log.warn({ route: exchange.route, endpoint, err: reason }, "upstream failed");
    this.answer(exchange, 502, `Instance of route '${exchange.route}' failed: ${reason}\n`);
  }

  pipeliningPaused(endpoint: Endpoint, reason: string): void {
    this.log.info(
      { endpoint: `${endpoint.host}:${endpoint.port}`, reason, ms: this.options.pipelineBackoffMs },
      "pipelining paused",
    );
  }

  /** The client of `exchange` went away. */
  abandon(exchange: Exchange): void {
    exchange.abandoned = true;
    exchange.upstream?.abandon(exchange);
  }

  sweep(now: number): void {
    for (const [key, pool] of this.pools) {
      pool.sweep(now);
      if (pool.unused && !pool.queued) this.pools.delete(key);
    }
  }

  close(): void {
    this.closed = true;
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }

  private answer(exchange: Exchange, status: number, body: string): void {
    if (exchange.abandoned) return;
    const { client } = exchange;
    const keepOpen = exchange.head.keepAlive && client.state === "waiting";
    this.traffic.response(status);
    client.write(plainResponse(status, body, exchange.requestId, !keepOpen));
    client.responseDone(keepOpen);
  }
}
