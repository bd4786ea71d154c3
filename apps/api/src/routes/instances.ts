import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AppNameParam, AppSpaceQuery } from "../apps/schemas";
import { accessOf, guard } from "../auth/access";
import type { ApiEnv } from "../http/env";
import { bearerSecurity, commonProblems, json } from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { type InstanceListing, TenantInstances } from "../repo/instances";
import type { RouteDeps } from "./deps";

const MiB = 1024 * 1024;

const InstanceUsageView = z
  .object({
    cpu_percent: z.number().openapi({ description: "over the cell's last sampling period; 100 = one core" }),
    memory_bytes: z
      .int()
      .openapi({ description: "charged toward the memory limit (page cache it can drop excluded)" }),
    memory_limit_bytes: z.int().nullable(),
    disk_bytes: z.int().openapi({ description: "written to the container's own filesystem" }),
    disk_limit_bytes: z.int().nullable(),
    log_lines_dropped: z
      .int()
      .nullable()
      .openapi({ description: "by the log-rate limit since the instance started; null without a limit" }),
    reported_at: z
      .string()
      .nullable()
      .openapi({ description: "when the cell's heartbeat carrying it arrived" }),
  })
  .openapi("InstanceUsage");

export const InstanceView = z
  .object({
    id: z.string(),
    index: z.int(),
    revision: z.int(),
    state: z.enum(["UNPLACED", "PLACED", "STARTING", "RUNNING", "CRASHED", "STOPPED"]),
    cell: z.object({ id: z.string(), name: z.string() }).nullable(),
    address: z.string().nullable(),
    container_ip: z.string().nullable(),
    ports: z.array(z.object({ container_port: z.int(), host_port: z.int() })),
    crash_count: z.int(),
    reason: z.string().nullable(),
    since: z.string(),
    usage: InstanceUsageView.nullable().openapi({
      description: "what the instance uses, as its cell last reported; null unless starting or running",
    }),
    pull: z.object({ bytes: z.int(), total: z.int() }).nullable().openapi({
      description:
        "how far its cell's pull of a docker app's image was (bytes of the total, cached layers included) at the cell's last heartbeat; null unless it is starting and pulling",
    }),
  })
  .openapi("Instance");

function instanceView(row: InstanceListing): z.output<typeof InstanceView> {
  return {
    id: row.id,
    index: row.index,
    revision: row.revision,
    state: row.state,
    cell: row.cellId && row.cellName ? { id: row.cellId, name: row.cellName } : null,
    address: row.address,
    container_ip: row.containerIp,
    ports: row.ports.map((p) => ({ container_port: p.containerPort, host_port: p.hostPort })),
    crash_count: row.crashCount,
    reason: row.reason,
    since: row.since.toISOString(),
    pull: row.pull,
    usage: row.usage && {
      cpu_percent: row.usage.cpuPercent,
      memory_bytes: row.usage.memoryBytes,
      memory_limit_bytes: row.memoryMb === null ? null : row.memoryMb * MiB,
      disk_bytes: row.usage.diskBytes,
      disk_limit_bytes: row.diskMb === null ? null : row.diskMb * MiB,
      log_lines_dropped: row.usage.logLinesDropped ?? null,
      reported_at: row.usageAt?.toISOString() ?? null,
    },
  };
}

const list = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/apps/{name}/instances",
  tags: ["apps"],
  summary:
    "An app's instances: state, cell, address, crash count, since, why not running, and CPU, memory and disk use",
  security: bearerSecurity,
  request: {
    params: AppNameParam,
    query: PageQuery.extend(AppSpaceQuery.shape),
  },
  responses: { 200: json(pageOf(InstanceView), "a page of instances"), ...commonProblems },
});

/** `GET /v1/apps/{name}/instances`. */
export function registerInstanceRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  app.openapi(list, async (c) => {
    const access = await accessOf(c, deps.db);
    const { limit, cursor, space } = c.req.valid("query");
    const appRow = await access.app(c.req.valid("param").name, space);
    const after = cursor === undefined ? undefined : decodeCursor(cursor, 2);
    const rows = await new TenantInstances(deps.db, access.tenantId).ofApp(
      appRow.id,
      limit + 1,
      after && [Number(after[0]), String(after[1])],
    );
    const page = paginate(rows, limit, (row) => [row.index, row.id]);
    return c.json({ items: page.items.map(instanceView), next_cursor: page.next_cursor }, 200);
  });
}
