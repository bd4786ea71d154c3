import type { IncomingMessage, ServerResponse } from "node:http";
import type { Garden } from "@grove/garden";
import type { Logger } from "pino";

/** What every HTTP route handler gets. */
export interface HandlerContext {
  garden: Garden;
  log: Logger;
}

export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}

export type RouteHandler = (ctx: HandlerContext, request: RouteRequest) => Promise<void>;
