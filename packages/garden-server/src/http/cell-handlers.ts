import { containerSpecFromWire } from "../wire/container-spec";
import { errorToWire } from "../wire/error-body";
import {
  capacityToWire,
  containerInfoToWire,
  emptyContainerInfo,
  emptyMetrics,
  metricsToWire,
} from "../wire/responses";
import type { RouteHandler } from "./context";
import { readJson, sendJson, sendSuccess } from "./respond";

/** Routes that are not about one container: ping, capacity, list, create, bulk reads. */

export const ping: RouteHandler = async ({ garden }, { res }) => {
  await garden.ping();
  sendSuccess(res);
};

export const capacity: RouteHandler = async ({ garden }, { res }) => {
  sendJson(res, capacityToWire(await garden.capacity()));
};

/** The property the reference uses to ask for half-created containers too. */
const stateProperty = "garden.state";

export const list: RouteHandler = async ({ garden }, { res, query }) => {
  const filter: Record<string, string> = {};
  for (const key of new Set(query.keys())) filter[key] = query.get(key) ?? "";
  const includeIncomplete = filter[stateProperty] === "all";
  if (includeIncomplete) delete filter[stateProperty];
  const containers = await garden.containers(filter, { includeIncomplete });
  sendJson(res, { Handles: containers.map((c) => c.handle) });
};

/** A spec without grace time gets the runtime's default (the reference fills it in the server). */
export const create: RouteHandler = async ({ garden, log }, { req, res }) => {
  const spec = containerSpecFromWire(await readJson(req));
  const container = await garden.create(spec);
  log.info({ handle: container.handle }, "created");
  sendJson(res, { Handle: container.handle });
};

function handlesOf(query: URLSearchParams): string[] {
  const value = query.get("handles") ?? "";
  return value === "" ? [] : value.split(",");
}

function errorEntry(error: Error | undefined) {
  return error ? errorToWire(error).body : null;
}

export const bulkInfo: RouteHandler = async ({ garden }, { res, query }) => {
  const result = await garden.bulkInfo(handlesOf(query));
  const out: Record<string, unknown> = {};
  for (const [handle, entry] of Object.entries(result)) {
    out[handle] = {
      Info: entry.info ? containerInfoToWire(entry.info) : emptyContainerInfo,
      Err: errorEntry(entry.error),
    };
  }
  sendJson(res, out);
};

export const bulkMetrics: RouteHandler = async ({ garden }, { res, query }) => {
  const result = await garden.bulkMetrics(handlesOf(query));
  const out: Record<string, unknown> = {};
  for (const [handle, entry] of Object.entries(result)) {
    out[handle] = {
      Metrics: entry.metrics ? metricsToWire(entry.metrics) : emptyMetrics,
      Err: errorEntry(entry.error),
    };
  }
  sendJson(res, out);
};
