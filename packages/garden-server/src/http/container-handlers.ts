import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { MalformedRequest } from "../errors";
import { describeIssues, goStruct, int64 } from "../wire/go-json";
import { bandwidthLimitsToWire, cpuLimitsToWire, diskLimitsToWire, memoryLimitsToWire } from "../wire/limits";
import {
  netInResponseToWire,
  netOutRuleFromWire,
  wireNetInRequest,
  wireNetOutRule,
  wireNetOutRules,
} from "../wire/net";
import { containerInfoToWire, metricsToWire } from "../wire/responses";
import type { HandlerContext, RouteHandler, RouteRequest } from "./context";
import { readJson, sendJson, sendSuccess } from "./respond";

/** Routes on one container (`/containers/:handle/...`), except the hijacked process routes. */

const lookup = (ctx: HandlerContext, request: RouteRequest) => ctx.garden.lookup(request.params.handle ?? "");

function parse<T extends z.ZodType>(schema: T, what: string, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new MalformedRequest(describeIssues(what, parsed.error));
  return parsed.data;
}

export const destroy: RouteHandler = async (ctx, request) => {
  await ctx.garden.destroy(request.params.handle ?? "");
  ctx.log.info({ handle: request.params.handle }, "destroyed");
  sendSuccess(request.res);
};

const stopRequest = goStruct({ kill: z.boolean() });

export const stop: RouteHandler = async (ctx, request) => {
  // The reference reads the body before looking the container up; keep its error order.
  const { kill } = parse(stopRequest, "stop request", await readJson(request.req));
  const container = await lookup(ctx, request);
  await container.stop(kill ?? false);
  sendSuccess(request.res);
};

export const info: RouteHandler = async (ctx, request) => {
  const container = await lookup(ctx, request);
  sendJson(request.res, containerInfoToWire(await container.info()));
};

export const metrics: RouteHandler = async (ctx, request) => {
  const container = await lookup(ctx, request);
  sendJson(request.res, metricsToWire(await container.metrics()));
};

export const streamIn: RouteHandler = async (ctx, request) => {
  const container = await lookup(ctx, request);
  const path = request.query.get("destination") ?? "";
  if (path === "") throw new MalformedRequest("stream in needs a destination query parameter");
  const user = request.query.get("user") || undefined;
  await container.streamIn({ user, path, tar: request.req });
  sendSuccess(request.res);
};

export const streamOut: RouteHandler = async (ctx, request) => {
  const container = await lookup(ctx, request);
  const path = request.query.get("source") ?? "";
  if (path === "") throw new MalformedRequest("stream out needs a source query parameter");
  const user = request.query.get("user") || undefined;
  const tar = await container.streamOut({ user, path });
  request.res.writeHead(200, { "Content-Type": "application/x-tar", Connection: "close" });
  await pipeline(tar, request.res);
};

export const bandwidthLimits: RouteHandler = async (ctx, request) => {
  const limits = await (await lookup(ctx, request)).currentLimits();
  sendJson(request.res, bandwidthLimitsToWire(limits.bandwidth));
};

export const cpuLimits: RouteHandler = async (ctx, request) => {
  const limits = await (await lookup(ctx, request)).currentLimits();
  sendJson(request.res, cpuLimitsToWire(limits.cpu));
};

export const diskLimits: RouteHandler = async (ctx, request) => {
  const limits = await (await lookup(ctx, request)).currentLimits();
  sendJson(request.res, diskLimitsToWire(limits.disk));
};

export const memoryLimits: RouteHandler = async (ctx, request) => {
  const limits = await (await lookup(ctx, request)).currentLimits();
  sendJson(request.res, memoryLimitsToWire(limits.memory));
};

export const netIn: RouteHandler = async (ctx, request) => {
  const body = parse(wireNetInRequest, "NetIn request", await readJson(request.req));
  const container = await lookup(ctx, request);
  const mapping = await container.netIn(body.host_port ?? 0, body.container_port ?? 0);
  sendJson(request.res, netInResponseToWire(mapping));
};

export const netOut: RouteHandler = async (ctx, request) => {
  const rule = netOutRuleFromWire(parse(wireNetOutRule, "NetOutRule", await readJson(request.req)));
  const container = await lookup(ctx, request);
  await container.netOut(rule);
  sendSuccess(request.res);
};

export const bulkNetOut: RouteHandler = async (ctx, request) => {
  const rules = parse(wireNetOutRules, "NetOutRule list", await readJson(request.req)).map(
    netOutRuleFromWire,
  );
  const container = await lookup(ctx, request);
  await container.bulkNetOut(rules);
  sendSuccess(request.res);
};

export const setGraceTime: RouteHandler = async (ctx, request) => {
  const graceTimeNs = parse(int64, "grace time (nanoseconds)", await readJson(request.req));
  const container = await lookup(ctx, request);
  await container.setGraceTime(graceTimeNs);
  sendSuccess(request.res);
};

export const properties: RouteHandler = async (ctx, request) => {
  const container = await lookup(ctx, request);
  sendJson(request.res, await container.properties());
};

export const property: RouteHandler = async (ctx, request) => {
  const container = await lookup(ctx, request);
  sendJson(request.res, { value: await container.property(request.params.key ?? "") });
};

const setPropertyRequest = goStruct({ value: z.string() });

export const setProperty: RouteHandler = async (ctx, request) => {
  const { value } = parse(setPropertyRequest, "property request", await readJson(request.req));
  const container = await lookup(ctx, request);
  await container.setProperty(request.params.key ?? "", value ?? "");
  sendSuccess(request.res);
};

export const removeProperty: RouteHandler = async (ctx, request) => {
  const container = await lookup(ctx, request);
  await container.removeProperty(request.params.key ?? "");
  sendSuccess(request.res);
};
