import { z } from "@hono/zod-openapi";

/** A tenant's name: a DNS label, since it appears in app hostnames. */
export const TenantName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits, '-'")
  .openapi({ example: "acme" });
