import type { Client } from "openapi-fetch";
import { ApiError, ApiUnreachable, GroveClientError, UnexpectedResponse } from "./errors";
import type { paths } from "./openapi";
import { parseEventStream } from "./sse";
import { createApiClient, fetchTransport, type Reply, type Transport } from "./transport";
import type {
  App,
  AppEvent,
  AppListItem,
  Bits,
  BitsUpload,
  Cell,
  CreateApp,
  CreateEgressRule,
  CreateExec,
  CreatePolicy,
  CreateSnapshot,
  CreateToken,
  CreateVolume,
  EgressRule,
  Exec,
  ExecEvent,
  ExecSignal,
  Instance,
  JoinToken,
  JoinTokenListing,
  LogEntry,
  Page,
  Policy,
  Problem,
  Quota,
  QuotaChanges,
  Space,
  SpaceRole,
  Tenant,
  Token,
  TokenListing,
  UpdateApp,
  Volume,
  VolumeSnapshot,
} from "./types";

/**
 * An app: its name, or its name and space. App names are unique per space; by name alone the API
 * finds the one app of that name in the spaces the caller sees.
 */
export type AppRef = string | { name: string; space?: string };

/** Path and query parameters naming an app. */
function appParams(app: AppRef): { path: { name: string }; query: { space?: string } } {
  return typeof app === "string"
    ? { path: { name: app }, query: {} }
    : { path: { name: app.name }, query: { space: app.space } };
}

/** Header an operator uses to act inside one tenant. */
export const TENANT_HEADER = "X-Grove-Tenant";

/** How to reach and authenticate to a Grove API. */
export interface GroveClientOptions {
  /** e.g. `http://127.0.0.1:7070` */
  baseUrl: string;
  /** API token sent as `Authorization: Bearer` */
  token?: string;
  /** tenant an operator acts in (`X-Grove-Tenant`); ignored by the API for tenant members */
  tenant?: string;
  /** a fetch to use instead of the global one (e.g. an in-process app's `fetch`) */
  fetch?: (request: Request) => Promise<Response>;
  /** how requests are sent instead of a fetch (`nodeHttp`: node:http, without loading undici) */
  transport?: Transport;
  /** give up on an ordinary (not streaming, not upload) request after this long; default 30 s */
  timeoutMs?: number;
  userAgent?: string;
}

type Result<T> = { data?: T; error?: unknown; response: Reply };

const PAGE = 500;

/**
 * A typed client of Grove's public HTTP API. Every failure is thrown as one of three errors:
 * `ApiError` (the API answered with a problem), `ApiUnreachable` (no answer) or
 * `UnexpectedResponse`.
 *
 * @example
 * const grove = new GroveClient({ baseUrl: "http://127.0.0.1:7070", token });
 * const app = await grove.getApp("web");
 */
export class GroveClient {
  readonly baseUrl: string;
  private readonly http: Client<paths>;
  private readonly timeoutMs: number;

  constructor(options: GroveClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.tenant) headers[TENANT_HEADER] = options.tenant;
    if (options.userAgent) headers["user-agent"] = options.userAgent;
    const transport =
      options.transport ?? fetchTransport(options.fetch ?? ((request) => globalThis.fetch(request)));
    this.http = createApiClient<paths>({ baseUrl: this.baseUrl, headers, transport });
  }

  // tenants and tokens

  /** Creates a tenant (operators). */
  createTenant(name: string): Promise<Tenant> {
    return this.call((signal) =>
      this.http.POST("/v1/tenants", { body: { name }, headers: idempotent(), signal }),
    );
  }

  /** Every tenant (operators). */
  listTenants(): Promise<Tenant[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/tenants", { params: { query: { limit: PAGE, cursor } }, signal }),
    );
  }

  /** One tenant (operators; members see their own). */
  getTenant(name: string): Promise<Tenant> {
    return this.call((signal) => this.http.GET("/v1/tenants/{name}", { params: { path: { name } }, signal }));
  }

  /** Allows traffic from one app to a port (range) of another; all else between apps is denied. */
  createPolicy(body: CreatePolicy): Promise<Policy> {
    return this.call((signal) => this.http.POST("/v1/policies", { body, signal }));
  }

  /** The tenant's policies, and other tenants' policies that reach its apps. */
  listPolicies(): Promise<Policy[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/policies", { params: { query: { limit: PAGE, cursor } }, signal }),
    );
  }

  async deletePolicy(id: string): Promise<void> {
    await this.call((signal) => this.http.DELETE("/v1/policies/{id}", { params: { path: { id } }, signal }));
  }

  /** Lets the tenant's (a space's, or with `platform` every) containers reach a destination. */
  createEgressRule(body: CreateEgressRule): Promise<EgressRule> {
    return this.call((signal) => this.http.POST("/v1/egress-rules", { body, signal }));
  }

  /** The tenant's egress rules and the platform default. */
  listEgressRules(): Promise<EgressRule[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/egress-rules", { params: { query: { limit: PAGE, cursor } }, signal }),
    );
  }

  async deleteEgressRule(id: string): Promise<void> {
    await this.call((signal) =>
      this.http.DELETE("/v1/egress-rules/{id}", { params: { path: { id } }, signal }),
    );
  }

  /** Issues an API token; its secret is in the result only. */
  createToken(body: CreateToken): Promise<Token> {
    return this.call((signal) => this.http.POST("/v1/tokens", { body, headers: idempotent(), signal }));
  }

  /** Every unrevoked API token the caller may manage (operators: all, or one tenant's), without secrets. */
  listTokens(tenant?: string): Promise<TokenListing[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/tokens", { params: { query: { limit: PAGE, cursor, tenant } }, signal }),
    );
  }

  /** Revokes an API token by id: its next request is refused. */
  async revokeToken(id: string): Promise<void> {
    await this.call((signal) => this.http.DELETE("/v1/tokens/{id}", { params: { path: { id } }, signal }));
  }

  // quotas

  /** The quota of the tenant acted in, each limit beside its usage. */
  getQuota(): Promise<Quota> {
    return this.call((signal) => this.http.GET("/v1/quota", { signal }));
  }

  /** A tenant's quota (operators; members see their own). */
  getTenantQuota(tenant: string): Promise<Quota> {
    return this.call((signal) =>
      this.http.GET("/v1/tenants/{name}/quota", { params: { path: { name: tenant } }, signal }),
    );
  }

  /** Changes a tenant's quota (operators): null = unlimited, absent = unchanged; 412 on a stale `ifMatch`. */
  setTenantQuota(tenant: string, body: QuotaChanges, ifMatch?: string): Promise<Quota> {
    return this.call((signal) =>
      this.http.PATCH("/v1/tenants/{name}/quota", {
        params: { path: { name: tenant }, header: { "if-match": ifMatch } },
        body,
        signal,
      }),
    );
  }

  // volumes

  /** Every volume of the tenant, by name. */
  listVolumes(): Promise<Volume[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/volumes", { params: { query: { limit: PAGE, cursor } }, signal }),
    );
  }

  getVolume(name: string): Promise<Volume> {
    return this.call((signal) => this.http.GET("/v1/volumes/{name}", { params: { path: { name } }, signal }));
  }

  /** Creates a volume; retried creates with the same key are answered once. */
  createVolume(body: CreateVolume, idempotencyKey = randomKey()): Promise<Volume> {
    return this.call((signal) =>
      this.http.POST("/v1/volumes", { body, headers: { "idempotency-key": idempotencyKey }, signal }),
    );
  }

  async deleteVolume(name: string): Promise<void> {
    await this.call((signal) =>
      this.http.DELETE("/v1/volumes/{name}", { params: { path: { name } }, signal }),
    );
  }

  /** Stores a point-in-time copy of a volume's files in the cluster's object store. */
  createSnapshot(volume: string, body: CreateSnapshot = {}): Promise<VolumeSnapshot> {
    return this.call((signal) =>
      this.http.POST("/v1/volumes/{name}/snapshots", { params: { path: { name: volume } }, body, signal }),
    );
  }

  /** Every snapshot of a volume, by name. */
  listSnapshots(volume: string): Promise<VolumeSnapshot[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/volumes/{name}/snapshots", {
        params: { path: { name: volume }, query: { limit: PAGE, cursor } },
        signal,
      }),
    );
  }

  async deleteSnapshot(volume: string, snapshot: string): Promise<void> {
    await this.call((signal) =>
      this.http.DELETE("/v1/volumes/{name}/snapshots/{snapshot}", {
        params: { path: { name: volume, snapshot } },
        signal,
      }),
    );
  }

  /** Makes a volume's data that of one of its snapshots, copied onto the cell its next instance lands on. */
  restoreVolume(volume: string, snapshot: string): Promise<Volume> {
    return this.call((signal) =>
      this.http.POST("/v1/volumes/{name}/restore", {
        params: { path: { name: volume } },
        body: { snapshot },
        signal,
      }),
    );
  }

  // spaces

  /** Every space of the tenant, by name. */
  listSpaces(): Promise<Space[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/spaces", { params: { query: { limit: PAGE, cursor } }, signal }),
    );
  }

  /** Who has which role in a space (developer tokens). */
  async listSpaceRoles(space: string): Promise<SpaceRole[]> {
    const page = await this.call((signal) =>
      this.http.GET("/v1/spaces/{name}/roles", { params: { path: { name: space } }, signal }),
    );
    return page.items;
  }

  /** Gives a developer token (by name or id) a role in a space, replacing the one it had (tenant admins). */
  setSpaceRole(space: string, token: string, role: SpaceRole["role"]): Promise<SpaceRole> {
    return this.call((signal) =>
      this.http.PUT("/v1/spaces/{name}/roles/{token}", {
        params: { path: { name: space, token } },
        body: { role },
        signal,
      }),
    );
  }

  /** Takes a developer token's role in a space away (tenant admins). */
  async unsetSpaceRole(space: string, token: string): Promise<void> {
    await this.call((signal) =>
      this.http.DELETE("/v1/spaces/{name}/roles/{token}", {
        params: { path: { name: space, token } },
        signal,
      }),
    );
  }

  /** Creates a space (tenant admins, operators). */
  createSpace(name: string): Promise<Space> {
    return this.call((signal) =>
      this.http.POST("/v1/spaces", { body: { name }, headers: idempotent(), signal }),
    );
  }

  /** A space's quota, each limit beside the space's usage. */
  getSpaceQuota(space: string): Promise<Quota> {
    return this.call((signal) =>
      this.http.GET("/v1/spaces/{name}/quota", { params: { path: { name: space } }, signal }),
    );
  }

  /** Changes a space's quota (tenant admins, operators); the tenant's quota binds as well. */
  setSpaceQuota(space: string, body: QuotaChanges, ifMatch?: string): Promise<Quota> {
    return this.call((signal) =>
      this.http.PATCH("/v1/spaces/{name}/quota", {
        params: { path: { name: space }, header: { "if-match": ifMatch } },
        body,
        signal,
      }),
    );
  }

  // apps

  /** Every app of the tenant (of one space when given), by name. */
  listApps(space?: string): Promise<AppListItem[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/apps", { params: { query: { limit: PAGE, cursor, space } }, signal }),
    );
  }

  getApp(app: AppRef): Promise<App> {
    return this.call((signal) => this.http.GET("/v1/apps/{name}", { params: appParams(app), signal }));
  }

  /** Creates an app; retried creates with the same key are answered once. */
  createApp(body: CreateApp, idempotencyKey = randomKey()): Promise<App> {
    return this.call((signal) =>
      this.http.POST("/v1/apps", { body, headers: { "idempotency-key": idempotencyKey }, signal }),
    );
  }

  /** Changes an app; with `ifMatch` (an ETag) the API answers 412 when the app changed since. */
  updateApp(app: AppRef, body: UpdateApp, ifMatch?: string): Promise<App> {
    return this.call((signal) =>
      this.http.PATCH("/v1/apps/{name}", {
        params: { ...appParams(app), header: { "if-match": ifMatch } },
        body,
        signal,
      }),
    );
  }

  async deleteApp(app: AppRef): Promise<void> {
    await this.call((signal) => this.http.DELETE("/v1/apps/{name}", { params: appParams(app), signal }));
  }

  startApp(app: AppRef): Promise<App> {
    return this.call((signal) => this.http.POST("/v1/apps/{name}/start", { params: appParams(app), signal }));
  }

  stopApp(app: AppRef): Promise<App> {
    return this.call((signal) => this.http.POST("/v1/apps/{name}/stop", { params: appParams(app), signal }));
  }

  restartApp(app: AppRef): Promise<App> {
    return this.call((signal) =>
      this.http.POST("/v1/apps/{name}/restart", { params: appParams(app), signal }),
    );
  }

  /** A page of an app's audit events, newest first. */
  appEvents(app: AppRef, options: { limit?: number; cursor?: string } = {}): Promise<Page<AppEvent>> {
    const { path, query } = appParams(app);
    return this.call((signal) =>
      this.http.GET("/v1/apps/{name}/events", {
        params: { path, query: { ...query, limit: options.limit, cursor: options.cursor } },
        signal,
      }),
    );
  }

  /** Every instance of an app, by index. */
  listInstances(app: AppRef): Promise<Instance[]> {
    const { path, query } = appParams(app);
    return this.all((cursor, signal) =>
      this.http.GET("/v1/apps/{name}/instances", {
        params: { path, query: { ...query, limit: PAGE, cursor } },
        signal,
      }),
    );
  }

  // bits

  /** Whether the tenant already uploaded bits with this digest (`sha256:<hex>`). */
  async hasBits(digest: string): Promise<Bits | undefined> {
    try {
      return await this.call((signal) =>
        this.http.GET("/v1/bits/{digest}", { params: { path: { digest } }, signal }),
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Points an app at bits: with `body` (a tar stream) they are uploaded; with only `digest` the
   * API reuses bits the tenant already has. No timeout applies: bits can be large.
   */
  uploadBits(
    app: AppRef,
    upload: { body?: ReadableStream<Uint8Array>; digest?: string; signal?: AbortSignal },
  ): Promise<BitsUpload> {
    const { path, query } = appParams(app);
    return this.call(
      () =>
        this.http.PUT("/v1/apps/{name}/bits", {
          params: { path, query: { ...query, digest: upload.digest } },
          body: upload.body as unknown as string,
          bodySerializer: (body: unknown) => body,
          headers: upload.body ? { "content-type": "application/x-tar" } : {},
          signal: upload.signal,
        } as never) as Promise<Result<BitsUpload>>,
      { timeout: false },
    );
  }

  /**
   * An app's recent log lines, then (with `follow`) new lines as they come, until `signal` aborts
   * or the API ends the stream.
   */
  async *logs(
    app: AppRef,
    options: { lines?: number; follow?: boolean; signal?: AbortSignal } = {},
  ): AsyncGenerator<LogEntry> {
    const { path, query } = appParams(app);
    const body = await this.call(
      () =>
        this.http.GET("/v1/apps/{name}/logs", {
          params: {
            path,
            query: { ...query, lines: options.lines, follow: options.follow ? "true" : "false" },
          },
          parseAs: "stream",
          signal: options.signal,
        }) as Promise<Result<ReadableStream<Uint8Array> | null>>,
      { timeout: false },
    );
    if (!body) throw new UnexpectedResponse("the logs response has no body");
    for await (const event of parseEventStream(body, options.signal)) {
      if (event.event === "error") throw streamEnded(event.data);
      if (event.event !== "log") continue;
      try {
        yield JSON.parse(event.data) as LogEntry;
      } catch {
        throw new UnexpectedResponse(`a log event is not JSON: ${event.data.slice(0, 100)}`);
      }
    }
  }

  // exec

  /** Runs a process in a running instance of an app (by index); attach with `execOutput`. */
  startExec(app: AppRef, index: number, body: CreateExec): Promise<Exec> {
    const { path, query } = appParams(app);
    return this.call((signal) =>
      this.http.POST("/v1/apps/{name}/instances/{index}/exec", {
        params: { path: { ...path, index }, query },
        body,
        signal,
      }),
    );
  }

  /** An exec's output from its first byte, ending with its exit code; aborting kills the process. */
  async *execOutput(execId: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<ExecEvent> {
    const body = await this.call(
      () =>
        this.http.GET("/v1/execs/{id}/output", {
          params: { path: { id: execId } },
          parseAs: "stream",
          signal: options.signal,
        }) as Promise<Result<ReadableStream<Uint8Array> | null>>,
      { timeout: false },
    );
    if (!body) throw new UnexpectedResponse("the exec output response has no body");
    for await (const event of parseEventStream(body, options.signal)) {
      if (event.event === "error") throw streamEnded(event.data);
      let parsed: { stream?: "stdout" | "stderr"; data?: string; exit_code?: number };
      try {
        parsed = JSON.parse(event.data);
      } catch {
        throw new UnexpectedResponse(`an exec event is not JSON: ${event.data.slice(0, 100)}`);
      }
      if (event.event === "output" && parsed.stream && parsed.data !== undefined) {
        yield { type: "output", stream: parsed.stream, data: Buffer.from(parsed.data, "base64") };
      } else if (event.event === "exit" && typeof parsed.exit_code === "number") {
        yield { type: "exit", exitCode: parsed.exit_code };
        return;
      }
    }
  }

  /** Writes to an exec's stdin; with `eof`, closes it afterwards. */
  async writeExecStdin(execId: string, data: Uint8Array, eof = false): Promise<void> {
    await this.call(
      (signal) =>
        this.http.POST("/v1/execs/{id}/stdin", {
          params: { path: { id: execId }, query: { eof: eof ? "true" : "false" } },
          body: data as unknown as string,
          bodySerializer: (body: unknown) => body,
          headers: { "content-type": "application/octet-stream" },
          signal,
        } as never) as Promise<Result<undefined>>,
    );
  }

  /** Signals an exec'd process. */
  async signalExec(execId: string, signal: ExecSignal): Promise<void> {
    await this.call((abort) =>
      this.http.POST("/v1/execs/{id}/signal", {
        params: { path: { id: execId } },
        body: { signal },
        signal: abort,
      }),
    );
  }

  /** Resizes an exec's terminal. */
  async resizeExec(execId: string, size: { columns: number; rows: number }): Promise<void> {
    await this.call((signal) =>
      this.http.POST("/v1/execs/{id}/resize", { params: { path: { id: execId } }, body: size, signal }),
    );
  }

  // cells

  /** Every cell (operators). */
  listCells(): Promise<Cell[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/cells", { params: { query: { limit: PAGE, cursor } }, signal }),
    );
  }

  /** One cell by id (operators). */
  getCell(id: string): Promise<Cell> {
    return this.call((signal) => this.http.GET("/v1/cells/{id}", { params: { path: { id } }, signal }));
  }

  /** Stops placement on a cell and moves its instances elsewhere (operators). */
  drainCell(id: string): Promise<Cell> {
    return this.call((signal) =>
      this.http.POST("/v1/cells/{id}/drain", { params: { path: { id } }, signal }),
    );
  }

  /** Puts a drained cell back in service; an active cell stays as it is (operators). */
  undrainCell(id: string): Promise<Cell> {
    return this.call((signal) =>
      this.http.POST("/v1/cells/{id}/undrain", { params: { path: { id } }, signal }),
    );
  }

  /** Removes a cell for good: no more placements on it, its instances move, its NATS user is revoked (operators). */
  removeCell(id: string): Promise<Cell> {
    return this.call((signal) =>
      this.http.POST("/v1/cells/{id}/remove", { params: { path: { id } }, signal }),
    );
  }

  /** Creates a join token for new cells (operators): single-use and valid an hour unless told otherwise. */
  createJoinToken(options: { expiresInSeconds?: number; uses?: number } = {}): Promise<JoinToken> {
    return this.call((signal) =>
      this.http.POST("/v1/cells/tokens", {
        body: { expires_in_seconds: options.expiresInSeconds, uses: options.uses },
        headers: idempotent(),
        signal,
      }),
    );
  }

  /** Every unrevoked join token (operators), without secrets. */
  listJoinTokens(): Promise<JoinTokenListing[]> {
    return this.all((cursor, signal) =>
      this.http.GET("/v1/cells/tokens", { params: { query: { limit: PAGE, cursor } }, signal }),
    );
  }

  /** Revokes a join token by id: no cell joins with it any more (operators). */
  async revokeJoinToken(id: string): Promise<void> {
    await this.call((signal) =>
      this.http.DELETE("/v1/cells/tokens/{id}", { params: { path: { id } }, signal }),
    );
  }

  // plumbing

  /** Runs one request, turning every failure into the client's errors. */
  private async call<T>(
    request: (signal: AbortSignal | undefined) => Promise<Result<T>>,
    options: { timeout?: boolean } = {},
  ): Promise<T> {
    const signal = options.timeout === false ? undefined : AbortSignal.timeout(this.timeoutMs);
    let result: Result<T>;
    try {
      result = await request(signal);
    } catch (error) {
      throw this.failure(error);
    }
    if (!result.response.ok) throw ApiError.from(result.response, result.error);
    return result.data as T;
  }

  private failure(error: unknown): Error {
    if (error instanceof GroveClientError) return error;
    const name = (error as Error | undefined)?.name;
    if (name === "AbortError") return error as Error;
    if (name === "TimeoutError") {
      return new ApiUnreachable(this.baseUrl, new Error(`no answer within ${this.timeoutMs / 1000} s`));
    }
    if (error instanceof SyntaxError) {
      return new UnexpectedResponse(`the API answered with malformed JSON: ${error.message}`);
    }
    return new ApiUnreachable(this.baseUrl, error);
  }

  /** Every item of a paginated list route. */
  private async all<T>(
    page: (cursor: string | undefined, signal: AbortSignal | undefined) => Promise<Result<Page<T>>>,
  ): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const current = await this.call((signal) => page(cursor, signal));
      items.push(...current.items);
      cursor = current.next_cursor ?? undefined;
    } while (cursor);
    return items;
  }
}

function randomKey(): string {
  return crypto.randomUUID();
}

function idempotent(): { "idempotency-key": string } {
  return { "idempotency-key": randomKey() };
}

/**
 * The API ended an open stream with a last `error` event (e.g. its token was revoked): the
 * problem it carries, as the error a failed request would have been.
 */
function streamEnded(data: string): ApiError {
  try {
    const problem = JSON.parse(data) as Partial<Problem>;
    if (typeof problem.status === "number") return new ApiError({ ...problem, status: problem.status });
  } catch {
    // not a problem document: said as it is below
  }
  return new ApiError({ status: 500, detail: `the stream ended: ${data.slice(0, 200)}` });
}
