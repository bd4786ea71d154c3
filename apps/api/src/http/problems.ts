import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import {
  ApiError,
  type ArchiveLimitView,
  type FieldIssue,
  Invalid,
  QuotaExceeded,
  type QuotaRefusal,
  UnprocessableArchive,
  UnsupportedMediaType,
  VolumeInUse,
  type VolumeUsers,
} from "../errors";
import type { ApiEnv } from "./env";

/** The RFC 9457 problem document every error response carries. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
  errors?: FieldIssue[];
  /** for `quota-exceeded`: the limit, the usage and the amount asked */
  quota?: QuotaRefusal;
  /** an archive's offending member */
  entry?: string;
  /** the archive limit a refused archive went past */
  limit?: ArchiveLimitView;
  /** for `volume-in-use`: the apps that mount the volume and the instances that hold it */
  used_by?: VolumeUsers;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** The problem document for `error` (an `ApiError`, or anything else as a 500). */
export function problemOf(c: Context<ApiEnv>, error: ApiError | undefined): Problem {
  const requestId = c.get("requestId") ?? "";
  const problem: Problem = error
    ? {
        type: `urn:grove:problem:${error.slug}`,
        title: error.title,
        status: error.status,
        detail: error.message,
        instance: c.req.path,
        request_id: requestId,
      }
    : {
        type: "urn:grove:problem:internal",
        title: "Internal error",
        status: 500,
        detail: `internal error; quote request id ${requestId}`,
        instance: c.req.path,
        request_id: requestId,
      };
  if (error instanceof Invalid && error.issues.length > 0) problem.errors = error.issues;
  if (error instanceof QuotaExceeded) problem.quota = error.quota;
  if (error instanceof VolumeInUse) problem.used_by = error.usedBy;
  if (error instanceof UnprocessableArchive) {
    if (error.entry !== undefined) problem.entry = error.entry;
    if (error.limit !== undefined) problem.limit = error.limit;
  }
  return problem;
}

/** Renders a problem+json response for `error` (an `ApiError`, or anything else as a 500). */
export function problemResponse(c: Context<ApiEnv>, error: ApiError | undefined): Response {
  const problem = problemOf(c, error);
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
    "Content-Type": PROBLEM_CONTENT_TYPE,
  });
}

/**
 * The api's one error path: typed errors become their problem; anything else is logged and
 * becomes a 500 that names only the request id.
 */
export function problemErrorHandler(fallbackLog: Logger): ErrorHandler<ApiEnv> {
  return function onProblem(error, c) {
    if (error instanceof ApiError) return problemResponse(c, error);
    // hono's own validators (malformed JSON, a body of the wrong media type) throw HTTPException
    if (error instanceof HTTPException && error.status < 500)
      return problemResponse(c, fromHttpException(error));
    (c.get("log") ?? fallbackLog).error({ err: error }, "unhandled error");
    return problemResponse(c, undefined);
  };
}

/** Turns zod issues into field issues with dotted paths. */
export function fieldIssues(issues: readonly { path: PropertyKey[]; message: string }[]): FieldIssue[] {
  return issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "(body)",
    message: issue.message,
  }));
}

function fromHttpException(error: HTTPException): ApiError {
  const detail = error.message || "bad request";
  if (error.status === 415) return new UnsupportedMediaType(detail);
  return new Invalid(detail, [{ field: "(body)", message: detail }]);
}
