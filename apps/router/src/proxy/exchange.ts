import type { RequestHead } from "../http1/request-head";
import type { Endpoint, RoutePick } from "../route-table";
import type { ClientConnection } from "./client-connection";
import type { UpstreamConnection } from "./upstream-connection";

/** Methods that may share an endpoint connection with others sent in the same write (RFC 9110 §9.2.1). */
const PIPELINABLE = new Set(["GET", "HEAD"]);

/**
 * One request on its way through the router: which client asked, which route answers, which
 * endpoint is being tried, and how far the response has got.
 */
export class Exchange {
  /** endpoints tried before the current one */
  attempt = 0;
  /** times sent again to the same endpoint after its connection failed under it */
  resent = 0;
  /** must go on a connection of its own, opened for it */
  fresh: boolean;
  upstream: UpstreamConnection | undefined = undefined;
  /** written together with other requests on one connection */
  pipelined = false;
  /** sent on a connection that had answered before: the endpoint may have closed it meanwhile */
  reusedConnection = false;
  responseStarted = false;
  /** the request, body included, has been passed on in full */
  requestSent: boolean;
  /** the client went away: the response, if any, is read and dropped */
  abandoned = false;
  readonly pipelinable: boolean;
  readonly route: string;
  readonly endpoints: readonly Endpoint[];
  readonly first: number;

  constructor(
    readonly client: ClientConnection,
    readonly head: RequestHead,
    readonly requestId: string,
    pick: RoutePick,
    /** the head to send upstream (latin1) */
    readonly upstreamHead: string,
    /** performance.now() when the head was read */
    readonly startedAt: number,
  ) {
    this.route = pick.route;
    this.endpoints = pick.endpoints;
    this.first = pick.first;
    this.pipelinable =
      head.body === "none" && head.upgrade === undefined && head.minor === 1 && PIPELINABLE.has(head.method);
    this.fresh = head.upgrade !== undefined;
    this.requestSent = head.body === "none";
  }

  get endpoint(): Endpoint {
    return this.endpoints[(this.first + this.attempt) % this.endpoints.length] as Endpoint;
  }

  get hasEndpointsLeft(): boolean {
    return this.attempt + 1 < this.endpoints.length;
  }

  /** safe to send again after a connection died without answering it (RFC 9110 §9.2.2) */
  get replayable(): boolean {
    return this.head.body === "none" && IDEMPOTENT.has(this.head.method);
  }
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
