import { archiveLimitsOf } from "@grove/images/archive";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { validateArchive } from "../apps/archive";
import { receiveBits } from "../apps/receive-bits";
import { AppNameParam, AppSpaceQuery, BitsUploadView, Digest } from "../apps/schemas";
import { accessOf, guard } from "../auth/access";
import { Invalid, NotFound, PayloadTooLarge } from "../errors";
import type { ApiEnv } from "../http/env";
import {
  bearerSecurity,
  commonProblems,
  IfMatchHeader,
  invalidArchiveProblem,
  json,
  tooLargeProblem,
} from "../http/openapi";
import { appEtag } from "../repo/apps";
import { TenantBits } from "../repo/bits";
import type { RouteDeps } from "./deps";

const upload = createRoute({
  ...guard("space"),
  method: "put",
  path: "/v1/apps/{name}/bits",
  tags: ["apps"],
  summary: "Upload an app's bits (a tar); new bits make a new revision",
  description:
    "With `?digest=` naming bits this tenant already uploaded, the body is not read and the app " +
    "points at those bits; otherwise the body is hashed while it streams and stored by digest.",
  security: bearerSecurity,
  request: {
    params: AppNameParam,
    query: AppSpaceQuery.extend({ digest: Digest.optional() }),
    headers: IfMatchHeader,
    body: { content: { "application/x-tar": { schema: z.string().openapi({ format: "binary" }) } } },
  },
  responses: {
    200: json(BitsUploadView, "the app now runs these bits"),
    ...commonProblems,
    ...tooLargeProblem,
    ...invalidArchiveProblem,
  },
});

const lookup = createRoute({
  ...guard("member"),
  method: "get",
  path: "/v1/bits/{digest}",
  tags: ["bits"],
  summary: "Whether this tenant has uploaded bits with this digest (also answers HEAD)",
  security: bearerSecurity,
  request: { params: z.object({ digest: Digest.openapi({ param: { name: "digest", in: "path" } }) }) },
  responses: {
    200: json(z.object({ digest: z.string(), size_bytes: z.int(), created_at: z.string() }), "known bits"),
    ...commonProblems,
  },
});

/** Bits upload (`PUT /v1/apps/{name}/bits`) and lookup (`GET|HEAD /v1/bits/{digest}`). */
export function registerBitsRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const archiveLimits = archiveLimitsOf(deps.config);
  app.openapi(upload, async (c) => {
    const access = await accessOf(c, deps.db);
    const tenantBits = new TenantBits(deps.db, access.tenantId);
    const found = await access.app(c.req.valid("param").name, c.req.valid("query").space);
    const declared = c.req.valid("query").digest;
    const known = declared === undefined ? undefined : await tenantBits.get(declared);
    let digest: string;
    let sizeBytes: number;
    if (known) {
      digest = known.digest;
      sizeBytes = known.sizeBytes;
    } else {
      const declaredLength = Number(c.req.header("content-length") ?? 0);
      if (declaredLength > deps.config.GROVE_MAX_BITS_BYTES) {
        throw new PayloadTooLarge(`bits are larger than ${deps.config.GROVE_MAX_BITS_BYTES} bytes`);
      }
      const body = c.req.raw.body;
      if (!body)
        throw new Invalid("the body must be the app's tar archive", [{ field: "(body)", message: "empty" }]);
      const received = await receiveBits(body, deps.config.GROVE_MAX_BITS_BYTES);
      try {
        deps.metrics.bitsUploadedBytes.inc(received.sizeBytes);
        if (declared !== undefined && declared !== received.digest) {
          throw new Invalid(`the body's digest is ${received.digest}, not ${declared}`, [
            { field: "digest", message: "does not match the body" },
          ]);
        }
        await validateArchive(received.path, archiveLimits);
        if (!(await deps.bits.has(received.digest))) await deps.bits.putFile(received.digest, received.path);
        await tenantBits.record(received.digest, received.sizeBytes);
      } finally {
        await received.remove();
      }
      digest = received.digest;
      sizeBytes = received.sizeBytes;
    }
    const row = await access.apps.update(
      found,
      { bitsDigest: digest },
      {
        ifMatch: c.req.valid("header")["if-match"],
        actor: c.get("principal").tokenId,
        event: "bits-uploaded",
      },
    );
    deps.desiredStateChanged();
    c.header("ETag", appEtag(row));
    return c.json({ digest, size_bytes: sizeBytes, uploaded: !known, app: access.appView(row) }, 200);
  });

  app.openapi(lookup, async (c) => {
    const digest = c.req.valid("param").digest;
    const row = await new TenantBits(deps.db, (await accessOf(c, deps.db)).tenantId).get(digest);
    if (!row) throw new NotFound(`no bits ${digest}`);
    return c.json(
      { digest: row.digest, size_bytes: row.sizeBytes, created_at: row.createdAt.toISOString() },
      200,
    );
  });
}
