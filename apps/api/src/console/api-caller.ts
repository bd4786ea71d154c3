import { TENANT_HEADER } from "../auth/tenant-scope";

/** What an API problem+json says, as the console shows it. */
export interface ApiProblem {
  status: number;
  title: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

/** The API refused a request; `problem` is what it said. */
export class ApiRefused extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.detail);
    this.name = "ApiRefused";
  }
}

/** Anything that answers requests in-process, like a Hono app's `request`. */
export type InProcessFetch = (path: string, init: RequestInit) => Response | Promise<Response>;

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * The public API as the console uses it: in-process requests to the api's own handlers, with the
 * signed-in user's token (and, for an operator, the tenant acted in), so every read and change
 * passes the same authentication, authorization, validation and admission as any other client.
 *
 * @example
 * const api = new ConsoleApi((path, init) => app.request(path, init), { token, tenant: null, requestId });
 * const quota = (await api.get<QuotaShown>("/v1/quota")).body;
 */
export class ConsoleApi {
  constructor(
    private readonly request: InProcessFetch,
    private readonly caller: { token: string; tenant: string | null; requestId: string },
  ) {}

  /** A GET's parsed body and ETag; throws `ApiRefused` on an error status. */
  async get<T>(path: string): Promise<{ body: T; etag: string | null }> {
    const res = await this.call("GET", path, {});
    return { body: (await res.json()) as T, etag: res.headers.get("etag") };
  }

  /** Every item of a list route, page by page. */
  async all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    const joiner = path.includes("?") ? "&" : "?";
    do {
      const page: Page<T> = (
        await this.get<Page<T>>(
          `${path}${joiner}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        )
      ).body;
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  /** A change; returns the parsed body (undefined for 204); throws `ApiRefused` on an error status. */
  async send<T>(
    method: "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    options: { json?: unknown; ifMatch?: string; idempotencyKey?: string } = {},
  ): Promise<T | undefined> {
    const res = await this.call(method, path, options);
    if (res.status === 204) return undefined;
    return (await res.json()) as T;
  }

  private async call(
    method: string,
    path: string,
    options: { json?: unknown; ifMatch?: string; idempotencyKey?: string },
  ): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.caller.token}`,
      "x-request-id": this.caller.requestId,
    };
    if (this.caller.tenant) headers[TENANT_HEADER] = this.caller.tenant;
    if (options.ifMatch) headers["if-match"] = options.ifMatch;
    if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    const res = await this.request(path, { method, headers, body });
    if (res.ok) return res;
    throw new ApiRefused(await problemOf(res));
  }
}

async function problemOf(res: Response): Promise<ApiProblem> {
  const text = await res.text();
  try {
    const problem = JSON.parse(text) as Partial<ApiProblem>;
    return {
      status: res.status,
      title: problem.title ?? `HTTP ${res.status}`,
      detail: problem.detail ?? problem.title ?? `HTTP ${res.status}`,
      ...(problem.errors ? { errors: problem.errors } : {}),
    };
  } catch {
    return {
      status: res.status,
      title: `HTTP ${res.status}`,
      detail: text.slice(0, 200) || `HTTP ${res.status}`,
    };
  }
}
