import { createHash } from "node:crypto";
import { type Database, schema } from "@grove/db";
import { and, eq, isNull, lt } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { Conflict, IdempotencyKeyReused, Invalid, SecretShownOnce } from "../errors";
import type { ApiEnv } from "./env";

const { idempotencyKeys } = schema;
const replayedHeaders = ["content-type", "location", "etag"];
/** An in-flight claim older than this belongs to a request that will never finish. */
const ABANDONED_MS = 60_000;
/** Stored responses are kept this long (Stripe: 24 h); older keys may be reused. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600_000;

/**
 * `Idempotency-Key` on POST: the first response (below 500) to a key is stored per principal and
 * replayed for retries with the same method, path and body; the same key with a different request
 * is a 422, and a retry while the first is still running a 409. A failed (5xx) attempt frees the key.
 * A response holding a secret (`withholdFromReplay`) is stored without it and not replayed (409).
 */
export function idempotency(db: Database): MiddlewareHandler<ApiEnv> {
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header("idempotency-key");
    if (key === undefined || c.req.method !== "POST") return next();
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new Invalid("Idempotency-Key must be 1-255 visible ASCII characters", [
        { field: "Idempotency-Key", message: "invalid" },
      ]);
    }
    const principalId = c.get("principal").tokenId;
    const body = new Uint8Array(await c.req.arrayBuffer());
    const fingerprint = createHash("sha256")
      .update(`${c.req.method} ${c.req.path}\n`)
      .update(body)
      .digest("hex");
    const where = and(eq(idempotencyKeys.principalId, principalId), eq(idempotencyKeys.key, key));
    // a claim left by a process that died mid-request is taken over after a while
    await db
      .delete(idempotencyKeys)
      .where(
        and(
          where,
          isNull(idempotencyKeys.status),
          lt(idempotencyKeys.createdAt, new Date(Date.now() - ABANDONED_MS)),
        ),
      );
    const claimed = await db
      .insert(idempotencyKeys)
      .values({ principalId, key, fingerprint })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (claimed.length === 0) {
      const [stored] = await db.select().from(idempotencyKeys).where(where);
      if (!stored) throw new Conflict("idempotency key is being released; retry");
      if (stored.fingerprint !== fingerprint) {
        throw new IdempotencyKeyReused("this Idempotency-Key was used for a different request");
      }
      if (stored.status === null) throw new Conflict("a request with this Idempotency-Key is in progress");
      if (stored.withheldField !== null) throw secretShownOnce(stored.responseBody, stored.withheldField);
      return new Response(stored.responseBody, {
        status: stored.status,
        headers: { ...stored.responseHeaders, "Idempotent-Replayed": "true" },
      });
    }
    await next();
    if (c.res.status >= 500) {
      await db.delete(idempotencyKeys).where(where);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of replayedHeaders) {
      const value = c.res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const withheldField = c.res.ok ? (c.get("secretField") ?? null) : null;
    let responseBody = await c.res.clone().text();
    if (withheldField !== null) {
      const { [withheldField]: _secret, ...rest } = JSON.parse(responseBody) as Record<string, unknown>;
      responseBody = JSON.stringify(rest);
    }
    await db
      .update(idempotencyKeys)
      .set({ status: c.res.status, responseBody, responseHeaders: headers, withheldField })
      .where(where);
  };
}

/**
 * Marks the response as holding a secret in `field`: its idempotent replay is a 409 naming what was
 * created, and the stored response leaves the secret out (secrets are stored only hashed).
 */
export function withholdFromReplay(c: Context<ApiEnv>, field: string): void {
  c.set("secretField", field);
}

function secretShownOnce(storedBody: string | null, field: string): SecretShownOnce {
  const { id } = JSON.parse(storedBody ?? "{}") as { id?: string };
  return new SecretShownOnce(
    `the first request with this Idempotency-Key created ${id ?? "it"}; its ${field} was shown once and is not ` +
      "kept, so it cannot be replayed: revoke it if the response was lost, and create another with a new key",
  );
}
