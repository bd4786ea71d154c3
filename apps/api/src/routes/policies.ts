import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AppName } from "../apps/schemas";
import { Access, accessOf, guard } from "../auth/access";
import { Forbidden, Invalid, NotFound } from "../errors";
import type { ApiEnv } from "../http/env";
import { bearerSecurity, commonProblems, conflictProblem, json } from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { type PolicyListing, TenantPolicies } from "../repo/policies";
import { tenantByName } from "../repo/tenants";
import type { RouteDeps } from "./deps";

const Port = z.int().min(1).max(65535);

const CreatePolicyBody = z
  .object({
    source: AppName.openapi({ description: "the app that opens connections (of the acting tenant)" }),
    source_space: AppName.optional().openapi({
      description: "the source app's space; without it, the one app of that name in the spaces you see",
    }),
    destination: AppName.openapi({ description: "the app whose instances accept them" }),
    destination_space: AppName.optional().openapi({ description: "the destination app's space" }),
    destination_tenant: z.string().min(1).max(63).optional().openapi({
      description: "the destination app's tenant; another tenant than the acting one needs an operator",
    }),
    protocol: z.enum(["tcp", "udp"]).default("tcp"),
    port: Port,
    end_port: Port.optional().openapi({ description: "last port of a range starting at `port`" }),
  })
  .openapi("CreatePolicy");

export const PolicyView = z
  .object({
    id: z.string(),
    source: z.object({ tenant: z.string(), space: z.string(), app: z.string() }),
    destination: z.object({ tenant: z.string(), space: z.string(), app: z.string() }),
    protocol: z.enum(["tcp", "udp"]),
    ports: z.object({ start: z.int(), end: z.int() }),
    created_at: z.string(),
  })
  .openapi("Policy");

function policyView(row: PolicyListing): z.output<typeof PolicyView> {
  return {
    id: row.id,
    source: { tenant: row.sourceTenant, space: row.sourceSpace, app: row.sourceApp },
    destination: { tenant: row.destinationTenant, space: row.destinationSpace, app: row.destinationApp },
    protocol: row.protocol,
    ports: { start: row.portStart, end: row.portEnd },
    created_at: row.createdAt.toISOString(),
  };
}

const create = createRoute({
  ...guard("space"),
  method: "post",
  path: "/v1/policies",
  tags: ["policies"],
  summary:
    "Let one app's instances connect to a port (range) of another app's; all else between apps is denied",
  security: bearerSecurity,
  request: { body: { content: { "application/json": { schema: CreatePolicyBody } }, required: true } },
  responses: { 201: json(PolicyView, "created"), ...commonProblems, ...conflictProblem },
});

const list = createRoute({
  ...guard("member"),
  method: "get",
  path: "/v1/policies",
  tags: ["policies"],
  summary: "The tenant's network policies, and other tenants' policies reaching its apps",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: json(pageOf(PolicyView), "a page of policies"), ...commonProblems },
});

const remove = createRoute({
  ...guard("space"),
  method: "delete",
  path: "/v1/policies/{id}",
  tags: ["policies"],
  summary: "Remove a network policy; new connections it allowed are refused",
  security: bearerSecurity,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "removed" }, ...commonProblems },
});

/** `/v1/policies`: network policies between apps, scoped to the acting tenant. */
export function registerPolicyRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const access = await accessOf(c, deps.db);
    const tenantId = access.tenantId;
    const endPort = body.end_port ?? body.port;
    if (endPort < body.port) {
      throw new Invalid("end_port is below port", [{ field: "end_port", message: "must be >= port" }]);
    }
    let destinationTenantId = tenantId;
    if (body.destination_tenant !== undefined) {
      destinationTenantId = (await tenantByName(deps.db, body.destination_tenant)).id;
      if (destinationTenantId !== tenantId && c.get("principal").role !== "operator") {
        throw new Forbidden("only operators make policies that reach another tenant's apps");
      }
    }
    // the source app's space must let the caller change it; the destination's, read it
    const source = await access.app(body.source, body.source_space, "write");
    const destinationAccess =
      destinationTenantId === tenantId
        ? access
        : new Access(deps.db, access.principal, destinationTenantId, null, "read");
    const destination = await destinationAccess.app(body.destination, body.destination_space, "read");
    const row = await new TenantPolicies(deps.db, tenantId).create({
      source,
      destination,
      protocol: body.protocol,
      portStart: body.port,
      portEnd: endPort,
    });
    deps.policyChanged();
    c.header("Location", `/v1/policies/${row.id}`);
    return c.json(policyView(row), 201);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const access = await accessOf(c, deps.db);
    const rows = await new TenantPolicies(deps.db, access.tenantId).list(
      limit + 1,
      after,
      access.visibleSpaceIds,
    );
    const page = paginate(rows, limit, (row) => [row.id]);
    return c.json({ items: page.items.map(policyView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(remove, async (c) => {
    const access = await accessOf(c, deps.db);
    const policies = new TenantPolicies(deps.db, access.tenantId);
    const id = c.req.valid("param").id;
    const policy = await policies.own(id);
    if (access.roleIn(policy.sourceSpaceId) === null) throw new NotFound(`no policy ${id}`);
    access.check({ id: policy.sourceSpaceId, name: policy.sourceSpace });
    await policies.delete(id);
    deps.policyChanged();
    return c.body(null, 204);
  });
}
