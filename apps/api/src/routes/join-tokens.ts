import { randomBytes } from "node:crypto";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { guard } from "../auth/access";
import { hashToken } from "../auth/tokens";
import type { ApiEnv } from "../http/env";
import { withholdFromReplay } from "../http/idempotency";
import { bearerSecurity, commonProblems, conflictProblem, IdempotencyHeader, json } from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { createdCursorOf, createdKey } from "../repo/created-cursor";
import { insertJoinToken, type JoinTokenListing, listJoinTokens, revokeJoinToken } from "../repo/join-tokens";
import type { RouteDeps } from "./deps";
import { ExpiresInSeconds } from "./tokens";

const JoinTokenListView = z
  .object({
    id: z.string(),
    state: z.enum(["usable", "used-up", "expired"]),
    uses: z.int().openapi({ description: "cells joined with it" }),
    max_uses: z.int(),
    created_at: z.string(),
    expires_at: z.string(),
  })
  .openapi("JoinTokenListing");

const JoinTokenView = JoinTokenListView.extend({
  token: z.string().openapi({ description: "shown once; only its hash is stored" }),
}).openapi("JoinToken");

function joinTokenView(row: JoinTokenListing, now = new Date()): z.output<typeof JoinTokenListView> {
  const state = row.uses >= row.maxUses ? "used-up" : row.expiresAt <= now ? "expired" : "usable";
  return {
    id: row.id,
    state,
    uses: row.uses,
    max_uses: row.maxUses,
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
  };
}

const create = createRoute({
  ...guard("operator"),
  method: "post",
  path: "/v1/cells/tokens",
  tags: ["cells"],
  summary: "Create a join token for new cells (operators)",
  description:
    "Single-use unless `uses` says more; expires after an hour unless `expires_in_seconds` says " +
    "otherwise. The secret is in this response only: a retry with the same Idempotency-Key gets a " +
    "409 `secret-shown-once`.",
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeader,
    body: {
      content: {
        "application/json": {
          schema: z
            .object({
              expires_in_seconds: ExpiresInSeconds.max(30 * 24 * 3600).default(3600),
              uses: z.int().min(1).max(10_000).default(1).openapi({ description: "how many cells may join" }),
            })
            .strict(),
        },
      },
    },
  },
  responses: { 201: json(JoinTokenView, "the token, shown once"), ...commonProblems, ...conflictProblem },
});

const list = createRoute({
  ...guard("operator"),
  method: "get",
  path: "/v1/cells/tokens",
  tags: ["cells"],
  summary: "List unrevoked join tokens, never their secrets (operators)",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: {
    200: json(pageOf(JoinTokenListView), "a page of join tokens, oldest first"),
    ...commonProblems,
  },
});

const revoke = createRoute({
  ...guard("operator"),
  method: "delete",
  path: "/v1/cells/tokens/{id}",
  tags: ["cells"],
  summary: "Revoke a join token: no cell joins with it any more (operators)",
  security: bearerSecurity,
  request: { params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "revoked" }, ...commonProblems },
});

/** `/v1/cells/tokens`: create, list, revoke join tokens. Registered before `/v1/cells/{id}`. */
export function registerJoinTokenRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  app.openapi(create, async (c) => {
    // without a JSON body the validator does not run, so its defaults are repeated here
    const { expires_in_seconds = 3600, uses = 1 } = c.req.valid("json") ?? {};
    const token = `grovejoin_${randomBytes(32).toString("base64url")}`;
    const expiresAt = new Date(Date.now() + expires_in_seconds * 1000);
    const row = await insertJoinToken(deps.db, hashToken(token), expiresAt, uses);
    withholdFromReplay(c, "token");
    return c.json({ ...joinTokenView(row), token }, 201);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : createdCursorOf(decodeCursor(cursor, 2));
    const page = paginate(await listJoinTokens(deps.db, limit + 1, after), limit, createdKey);
    return c.json({ items: page.items.map((row) => joinTokenView(row)), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(revoke, async (c) => {
    await revokeJoinToken(deps.db, c.req.valid("param").id);
    c.get("log").info({ revokedJoinToken: c.req.valid("param").id }, "join token revoked");
    return c.body(null, 204);
  });
}
