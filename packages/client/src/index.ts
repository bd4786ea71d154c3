export { type AppRef, GroveClient, type GroveClientOptions, TENANT_HEADER } from "./client";
export { ApiError, ApiUnreachable, GroveClientError, UnexpectedResponse } from "./errors";
export type { components, paths } from "./openapi";
export { parseEventStream, type ServerSentEvent } from "./sse";
export {
  type Exchange,
  fetchTransport,
  nodeHttp,
  nodeHttpTransport,
  type Reply,
  type TlsOptions,
  type Transport,
} from "./transport";
export type * from "./types";
