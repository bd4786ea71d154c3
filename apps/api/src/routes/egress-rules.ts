import { Ipv4Network } from "@grove/protocol";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { guard } from "../auth/access";
import { TENANT_HEADER, tenantIdOf } from "../auth/tenant-scope";
import { Forbidden, Invalid } from "../errors";
import type { ApiEnv } from "../http/env";
import { bearerSecurity, commonProblems, json } from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { type EgressRuleListing, EgressRules } from "../repo/egress-rules";
import { TenantSpaces } from "../repo/spaces";
import type { RouteDeps } from "./deps";

const Port = z.int().min(1).max(65535);
const EgressProtocol = z.enum(["tcp", "udp", "icmp", "all"]);
const Destination = z
  .string()
  .refine((text) => Ipv4Network.safeParse(text).success, "must be an IPv4 network a.b.c.d/n");

const CreateEgressRuleBody = z
  .object({
    destination: Destination.openapi({ description: "IPv4 network a.b.c.d/n (or one address)" }),
    protocol: EgressProtocol.default("tcp"),
    port: Port.optional().openapi({ description: "tcp/udp only; absent: every port" }),
    end_port: Port.optional().openapi({ description: "last port of a range starting at `port`" }),
    space: z.string().min(1).max(63).optional().openapi({ description: "only this space's apps" }),
    platform: z.boolean().default(false).openapi({
      description: "operators: the platform default, for every container of every tenant",
    }),
    control_plane: z.boolean().default(false).openapi({
      description: "operators, platform rules: let containers reach the control plane's services there",
    }),
  })
  .openapi("CreateEgressRule");

export const EgressRuleView = z
  .object({
    id: z.string(),
    scope: z.enum(["platform", "tenant", "space"]),
    tenant: z.string().nullable(),
    space: z.string().nullable(),
    destination: z.string(),
    protocol: EgressProtocol,
    ports: z.object({ start: z.int(), end: z.int() }).nullable(),
    control_plane: z.boolean(),
    created_at: z.string(),
  })
  .openapi("EgressRule");

function view(row: EgressRuleListing): z.output<typeof EgressRuleView> {
  return {
    id: row.id,
    scope: row.tenant === null ? "platform" : row.space === null ? "tenant" : "space",
    tenant: row.tenant,
    space: row.space,
    destination: row.network,
    protocol: row.protocol,
    ports: row.portStart === null || row.portEnd === null ? null : { start: row.portStart, end: row.portEnd },
    control_plane: row.controlPlane,
    created_at: row.createdAt.toISOString(),
  };
}

const create = createRoute({
  method: "post",
  path: "/v1/egress-rules",
  tags: ["egress"],
  ...guard("tenant_admin"),
  summary:
    "Let the tenant's (or one space's) containers open connections to a destination; without rules they reach DNS alone",
  security: bearerSecurity,
  request: { body: { content: { "application/json": { schema: CreateEgressRuleBody } }, required: true } },
  responses: { 201: json(EgressRuleView, "created"), ...commonProblems },
});

const list = createRoute({
  method: "get",
  path: "/v1/egress-rules",
  tags: ["egress"],
  ...guard("member"),
  summary: "The tenant's egress rules and the platform default (operators without a tenant: the platform's)",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: json(pageOf(EgressRuleView), "a page of egress rules"), ...commonProblems },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/egress-rules/{id}",
  tags: ["egress"],
  ...guard("tenant_admin"),
  summary: "Remove an egress rule; open connections it allowed are cut",
  security: bearerSecurity,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "removed" }, ...commonProblems },
});

/** The rules a caller manages: an operator without a tenant header manages the platform's. */
async function scopeOf(c: Context<ApiEnv>, deps: RouteDeps): Promise<string | null> {
  if (c.get("principal").role === "operator" && !c.req.header(TENANT_HEADER)) return null;
  return tenantIdOf(c, deps.db);
}

/** `/v1/egress-rules`: where containers may open connections (Cloud Foundry's security groups). */
export function registerEgressRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const operator = c.get("principal").role === "operator";
    if ((body.platform || body.control_plane) && !operator) {
      throw new Forbidden("only operators set the platform default or reach the control plane");
    }
    if (body.control_plane && !body.platform) {
      throw new Invalid("control_plane needs platform", [
        { field: "control_plane", message: "platform rules only" },
      ]);
    }
    if (body.platform && body.space !== undefined) {
      throw new Invalid("a platform rule names no space", [{ field: "space", message: "not with platform" }]);
    }
    const hasPorts = body.protocol === "tcp" || body.protocol === "udp";
    if (!hasPorts && (body.port !== undefined || body.end_port !== undefined)) {
      throw new Invalid(`ports need protocol tcp or udp, not ${body.protocol}`, [
        { field: "port", message: "tcp or udp only" },
      ]);
    }
    if (body.end_port !== undefined && body.port === undefined) {
      throw new Invalid("end_port needs port", [{ field: "end_port", message: "give port too" }]);
    }
    const endPort = body.end_port ?? body.port;
    if (body.port !== undefined && endPort !== undefined && endPort < body.port) {
      throw new Invalid("end_port is below port", [{ field: "end_port", message: "must be >= port" }]);
    }
    const tenantId = body.platform ? null : await tenantIdOf(c, deps.db);
    const spaceId =
      tenantId !== null && body.space !== undefined
        ? (await new TenantSpaces(deps.db, tenantId).get(body.space)).id
        : null;
    const row = await new EgressRules(deps.db, tenantId).create({
      tenantId,
      spaceId,
      network: body.destination,
      protocol: body.protocol,
      portStart: body.port ?? null,
      portEnd: endPort ?? null,
      controlPlane: body.control_plane,
    });
    deps.policyChanged();
    c.header("Location", `/v1/egress-rules/${row.id}`);
    return c.json(view(row), 201);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const rows = await new EgressRules(deps.db, await scopeOf(c, deps)).list(limit + 1, after);
    const page = paginate(rows, limit, (row) => [row.id]);
    return c.json({ items: page.items.map(view), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(remove, async (c) => {
    await new EgressRules(deps.db, await scopeOf(c, deps)).delete(c.req.valid("param").id);
    deps.policyChanged();
    return c.body(null, 204);
  });
}
