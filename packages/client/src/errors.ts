import type { Problem } from "./types";

/** Base of every error the client throws. */
export class GroveClientError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The API answered with an error status. Built from its problem+json body (RFC 9457); when the
 * body is not a problem document, `title` and `detail` come from the status line.
 */
export class ApiError extends GroveClientError {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** the problem type URN, e.g. `urn:grove:problem:not-found` */
  readonly type: string;
  readonly requestId: string | undefined;
  /** field-level issues of a 400, with dotted paths */
  readonly issues: { field: string; message: string }[];

  constructor(problem: Partial<Problem> & { status: number }) {
    const title = problem.title ?? `HTTP ${problem.status}`;
    const detail = problem.detail ?? title;
    super(detail);
    this.status = problem.status;
    this.title = title;
    this.detail = detail;
    this.type = problem.type ?? "about:blank";
    this.requestId = problem.request_id;
    this.issues = problem.errors ?? [];
  }

  /** Turns a failed response (whose body may already be parsed) into an ApiError. */
  static from(
    response: { status: number; statusText: string; headers: { get(name: string): string | null } },
    body: unknown,
  ): ApiError {
    const problem = isObject(body) ? (body as Partial<Problem>) : {};
    const requestId = problem.request_id ?? response.headers.get("x-request-id") ?? undefined;
    const text = typeof body === "string" && body.trim() !== "" ? body.trim().slice(0, 200) : undefined;
    return new ApiError({
      ...problem,
      status: response.status,
      title: problem.title ?? (response.statusText || undefined),
      detail: problem.detail ?? text,
      request_id: requestId,
    });
  }
}

/** No answer from the API at all: refused, unresolvable, reset, or timed out. */
export class ApiUnreachable extends GroveClientError {
  constructor(
    readonly baseUrl: string,
    cause: unknown,
  ) {
    super(`cannot reach the API at ${baseUrl}: ${reasonOf(cause)}`, { cause });
  }
}

/** The API answered 200 with something that is not what the route promises. */
export class UnexpectedResponse extends GroveClientError {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The most specific reason in a fetch failure (undici hides the errno in `cause`). */
function reasonOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isObject(current); depth++) {
    const cause = (current as { cause?: unknown }).cause;
    if (!isObject(cause)) break;
    current = cause;
  }
  if (isObject(current)) {
    const code = typeof current.code === "string" ? current.code : undefined;
    const message = typeof current.message === "string" ? current.message : "";
    if (!code) return message || String(current);
    return message.includes(code) ? message : `${code} ${message}`.trim();
  }
  return String(current);
}
