import type { Socket } from "node:net";
import type { Garden } from "@grove/garden";
import type { Logger } from "pino";
import { parseJsonBody } from "../json-body";
import type { RequestHead } from "../request-head";
import type { RouteMatch } from "../routes";
import { processSpecFromWire } from "../wire/process-spec";
import { serveProcessSession } from "./process-session";
import { writeRawError } from "./raw-response";
import { readRawBody } from "./request-body";
import { serveSideStream } from "./side-stream";
import type { StreamRegistry } from "./streams";

export interface HijackContext {
  garden: Garden;
  streams: StreamRegistry;
  log: Logger;
}

/**
 * Serves Run, Attach, Stdout and Stderr on the raw socket. `after` holds the bytes that arrived
 * behind the head (body and maybe early frames). Errors before the hijack become ordinary Garden
 * error responses.
 */
export async function serveHijacked(
  ctx: HijackContext,
  socket: Socket,
  head: RequestHead,
  route: RouteMatch,
  after: Buffer,
): Promise<void> {
  const handle = route.params.handle ?? "";
  const log = ctx.log.child({ route: route.name, handle });
  try {
    if (route.name === "Stdout" || route.name === "Stderr") {
      await serveSideStream({
        socket,
        streams: ctx.streams,
        handle,
        processId: route.params.pid ?? "",
        streamId: route.params.streamid ?? "",
        which: route.name === "Stdout" ? "stdout" : "stderr",
        log,
      });
      return;
    }
    const { body, rest } = await readRawBody(socket, head, after);
    if (route.name === "Run") {
      const spec = processSpecFromWire(parseJsonBody(body));
      const container = await ctx.garden.lookup(handle);
      const process = await container.run(spec);
      log.info({ processId: process.id, path: spec.path }, "spawned");
      await serveProcessSession({
        socket,
        container,
        process,
        status: 201,
        pending: rest,
        streams: ctx.streams,
        log,
      });
    } else {
      const container = await ctx.garden.lookup(handle);
      const process = await container.attach(route.params.pid ?? "");
      log.info({ processId: process.id }, "attached");
      await serveProcessSession({
        socket,
        container,
        process,
        status: 200,
        pending: rest,
        streams: ctx.streams,
        log,
      });
    }
  } catch (error) {
    log.warn({ err: error }, "request failed");
    if (!socket.destroyed) writeRawError(socket, error);
  }
}
