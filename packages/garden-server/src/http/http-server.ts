import { createServer, type Server } from "node:http";
import { matchRoute, type RouteName } from "../routes";
import * as cell from "./cell-handlers";
import * as container from "./container-handlers";
import type { HandlerContext, RouteHandler } from "./context";
import { sendError } from "./respond";

const handlers: Partial<Record<RouteName, RouteHandler>> = {
  Ping: cell.ping,
  Capacity: cell.capacity,
  List: cell.list,
  Create: cell.create,
  BulkInfo: cell.bulkInfo,
  BulkMetrics: cell.bulkMetrics,
  Info: container.info,
  Destroy: container.destroy,
  Stop: container.stop,
  StreamIn: container.streamIn,
  StreamOut: container.streamOut,
  CurrentBandwidthLimits: container.bandwidthLimits,
  CurrentCPULimits: container.cpuLimits,
  CurrentDiskLimits: container.diskLimits,
  CurrentMemoryLimits: container.memoryLimits,
  NetIn: container.netIn,
  NetOut: container.netOut,
  BulkNetOut: container.bulkNetOut,
  SetGraceTime: container.setGraceTime,
  Properties: container.properties,
  Property: container.property,
  SetProperty: container.setProperty,
  RemoveProperty: container.removeProperty,
  Metrics: container.metrics,
};

/**
 * The node:http server for every non-hijacked route. It never listens itself: the wire server
 * hands it connections whose head it has already peeked at.
 */
export function createHttpServer(ctx: HandlerContext): Server {
  // No request timeout: StreamIn/StreamOut of large trees may take as long as they take.
  return createServer({ requestTimeout: 0 }, async function serveGardenRoute(req, res) {
    const url = new URL(req.url ?? "/", "http://api");
    const route = matchRoute(req.method ?? "", url.pathname);
    const handler = route && handlers[route.name];
    if (!route || !handler) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" });
      res.end("404 page not found\n");
      return;
    }
    const log = ctx.log.child({ route: route.name, handle: route.params.handle });
    try {
      await handler({ ...ctx, log }, { req, res, params: route.params, query: url.searchParams });
    } catch (error) {
      log.warn({ err: error }, "request failed");
      sendError(res, error);
    }
  });
}
