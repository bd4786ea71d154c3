import { z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE } from "./problems";

/** RFC 9457 problem document, as published in the OpenAPI document. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string(),
    request_id: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    quota: z
      .object({
        scope: z.enum(["tenant", "space"]),
        space: z.string().optional(),
        field: z.string(),
        limit: z.int(),
        usage: z.int(),
        asked: z.int(),
      })
      .optional()
      .openapi({ description: "for quota-exceeded: the limit, the usage and the amount asked" }),
    entry: z.string().optional(),
    limit: z.object({ name: z.string(), setting: z.string(), max: z.number() }).optional(),
    used_by: z
      .object({
        apps: z.array(z.string()),
        instances: z.array(
          z.object({
            app: z.string(),
            index: z.int(),
            id: z.string(),
            state: z.string(),
            cell: z.string().nullable(),
          }),
        ),
      })
      .optional()
      .openapi({
        description: "for volume-in-use: the apps mounting the volume and the instances holding it",
      }),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});

/** The error responses every authenticated route can give. */
export const commonProblems = {
  400: problem("invalid request"),
  401: problem("missing or unknown token"),
  403: problem("role not allowed"),
  404: problem("not found"),
} as const;

export const conflictProblem = { 409: problem("conflict") } as const;
export const unavailableProblem = { 503: problem("a dependency or a cell did not answer") } as const;
export const preconditionProblem = { 412: problem("If-Match does not match") } as const;
export const quotaProblem = { 422: problem("the change would exceed a quota; nothing changed") } as const;
/** App changes: a quota (`quota`) or a single-writer volume refused them. */
export const appChangeProblem = {
  422: problem(
    "the change would exceed a quota (`quota`), break a single-writer volume (one instance, one app) " +
      "or names an image that cannot be pulled (`unusable-image`); nothing changed",
  ),
} as const;
export const tooLargeProblem = { 413: problem("body too large") } as const;
/** Bits uploads: a refused archive (`entry`, `limit`) or, as on every change, a quota (`quota`). */
export const invalidArchiveProblem = {
  422: problem(
    "an archive Grove will not unpack (`entry` names the member, `limit` the limit it went past), " +
      "or the change would exceed a quota; nothing changed",
  ),
} as const;

/** `application/json` content of a schema. */
export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** Headers parameters shared by update routes. */
export const IfMatchHeader = z.object({
  "if-match": z.string().optional().openapi({ description: "ETag from a previous read; 412 when stale" }),
});

/** Header parameters shared by create routes. */
export const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .openapi({ description: "retries with the same key replay the first response" }),
});

export const bearerSecurity = [{ bearer: [] as string[] }];
