import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { AppName, AppSpaceQuery } from "../apps/schemas";
import { accessOf, guard } from "../auth/access";
import { Conflict, NotFound } from "../errors";
import { attachExec, controlExec, type ExecCaller, startExec } from "../exec/cell-exec";
import type { ApiEnv } from "../http/env";
import { bearerSecurity, commonProblems, conflictProblem, json } from "../http/openapi";
import { whileTokenHolds } from "../http/token-bound-stream";
import { TenantInstances } from "../repo/instances";
import type { RouteDeps } from "./deps";

/** Bytes of stdin per message to the cell, well under NATS's default 1 MiB payload once base64. */
const STDIN_CHUNK_BYTES = 256 * 1024;

const WindowSize = z.object({ columns: z.int().min(1).max(10_000), rows: z.int().min(1).max(10_000) });
const ExecCreate = z
  .object({
    command: z
      .array(z.string().max(65_536))
      .min(1)
      .max(1024)
      .openapi({ example: ["ls", "-l"] }),
    tty: WindowSize.optional().openapi({ description: "run under a terminal of this size" }),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(65_536)).optional(),
  })
  .openapi("ExecCreate");
const ExecView = z.object({ exec_id: z.string(), instance_id: z.string() }).openapi("Exec");
const ExecParam = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/)
    .openapi({ param: { name: "id", in: "path" } }),
});
const noContent = { 204: { description: "done" } } as const;

const create = createRoute({
  ...guard("space"),
  method: "post",
  path: "/v1/apps/{name}/instances/{index}/exec",
  tags: ["execs"],
  summary: "Run a process in a running instance (as vcap, in the app's directory, with the app's env)",
  description:
    "Attach with `GET /v1/execs/{id}/output` (its output from the first byte, then the exit code). " +
    "A process nobody attaches to within a minute is killed. The exec is bound to the token that started it: " +
    "its output and controls answer 404 to any other token. Viewers of the space cannot exec (403).",
  security: bearerSecurity,
  request: {
    params: z.object({
      name: AppName.openapi({ param: { name: "name", in: "path" } }),
      index: z.coerce
        .number()
        .int()
        .min(0)
        .openapi({ param: { name: "index", in: "path" } }),
    }),
    query: AppSpaceQuery,
    body: { content: { "application/json": { schema: ExecCreate } }, required: true },
  },
  responses: { 201: json(ExecView, "the process runs"), ...commonProblems, ...conflictProblem },
});

const output = createRoute({
  ...guard("member"),
  method: "get",
  path: "/v1/execs/{id}/output",
  tags: ["execs"],
  summary: "An exec's output from its first byte, then its exit code (server-sent events)",
  description:
    "Events `output` ({stream: stdout|stderr, data: base64}) in order, then one `exit` ({exit_code}), " +
    "after which the stream ends. Closing the stream before the exit kills the process, and so does " +
    "the token being revoked or expiring: a last event `error` (a 401 problem) then ends the stream.",
  security: bearerSecurity,
  request: { params: ExecParam },
  responses: {
    200: { description: "event stream", content: { "text/event-stream": { schema: z.string() } } },
    ...commonProblems,
  },
});

const stdin = createRoute({
  ...guard("member"),
  method: "post",
  path: "/v1/execs/{id}/stdin",
  tags: ["execs"],
  summary: "Write the body to the process's stdin; with eof=true, close stdin after it",
  security: bearerSecurity,
  request: {
    params: ExecParam,
    query: z.object({
      eof: z
        .enum(["true", "false"])
        .default("false")
        .transform((v) => v === "true"),
    }),
    body: { content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } },
  },
  responses: { ...noContent, ...commonProblems, ...conflictProblem },
});

const signal = createRoute({
  ...guard("member"),
  method: "post",
  path: "/v1/execs/{id}/signal",
  tags: ["execs"],
  summary: "Signal the process: interrupt (SIGINT, as Ctrl-C), terminate (SIGTERM) or kill (SIGKILL)",
  security: bearerSecurity,
  request: {
    params: ExecParam,
    body: {
      content: {
        "application/json": { schema: z.object({ signal: z.enum(["interrupt", "terminate", "kill"]) }) },
      },
      required: true,
    },
  },
  responses: { ...noContent, ...commonProblems, ...conflictProblem },
});

const resize = createRoute({
  ...guard("member"),
  method: "post",
  path: "/v1/execs/{id}/resize",
  tags: ["execs"],
  summary: "Resize the process's terminal",
  security: bearerSecurity,
  request: {
    params: ExecParam,
    body: { content: { "application/json": { schema: WindowSize } }, required: true },
  },
  responses: { ...noContent, ...commonProblems, ...conflictProblem },
});

/**
 * `grove exec`: start a process in an instance, read its output, write its stdin, signal and
 * resize it. An exec is bound to the token that started it (another token, even of the same
 * tenant and space, finds no such exec: 404), and the cell binds it to the tenant.
 */
export function registerExecRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const execCaller = async (c: Context<ApiEnv>): Promise<ExecCaller> => ({
    tenantId: (await accessOf(c, deps.db)).tenantId,
    tokenId: c.get("principal").tokenId,
  });

  app.openapi(create, async (c) => {
    const access = await accessOf(c, deps.db);
    const tenantId = access.tenantId;
    const { name, index } = c.req.valid("param");
    const appRow = await access.app(name, c.req.valid("query").space);
    const all = await new TenantInstances(deps.db, tenantId).ofApp(appRow.id, 10_000);
    const atIndex = all.filter((i) => i.index === index);
    if (atIndex.length === 0) throw new NotFound(`app ${name} has no instance ${index}`);
    const running = atIndex.find((i) => i.state === "RUNNING" && i.cellId);
    if (!running?.cellId) {
      throw new Conflict(`instance ${index} of ${name} is ${atIndex[0]?.state ?? "gone"}, not RUNNING`);
    }
    const body = c.req.valid("json");
    const caller = { tenantId, tokenId: c.get("principal").tokenId };
    const execId = await startExec(deps.nc, running.cellId, caller, {
      instanceId: running.id,
      command: body.command,
      env: body.env,
      tty: body.tty,
    });
    return c.json({ exec_id: execId, instance_id: running.id }, 201);
  });

  app.openapi(output, async (c) => {
    const caller = await execCaller(c);
    const execId = c.req.valid("param").id;
    const attached = await attachExec(deps.nc, execId, caller);
    return streamSSE(c, async (stream) => {
      let exited = false;
      // the process lives only as long as its reader: a closed stream or a lapsed token kills it
      const end = () => {
        attached.close();
        if (!exited)
          void controlExec(deps.nc, execId, caller, { type: "signal", signal: "kill" }).catch(() => {});
      };
      stream.onAbort(end);
      const relay = async () => {
        for await (const event of attached.events) {
          if (event.type === "exit") {
            exited = true;
            await stream.writeSSE({
              event: "exit",
              id: String(event.seq),
              data: JSON.stringify({ exit_code: event.exitCode }),
            });
          } else {
            await stream.writeSSE({
              event: "output",
              id: String(event.seq),
              data: JSON.stringify({ stream: event.stream, data: event.data }),
            });
          }
        }
      };
      await whileTokenHolds(c, stream, deps.tokenWatch, relay, end);
    });
  });

  app.openapi(stdin, async (c) => {
    const caller = await execCaller(c);
    const execId = c.req.valid("param").id;
    const { eof } = c.req.valid("query");
    const data = Buffer.from(await c.req.arrayBuffer());
    let at = 0;
    do {
      const chunk = data.subarray(at, at + STDIN_CHUNK_BYTES);
      at += STDIN_CHUNK_BYTES;
      await controlExec(deps.nc, execId, caller, {
        type: "stdin",
        data: chunk.toString("base64"),
        eof: eof && at >= data.length,
      });
    } while (at < data.length);
    return c.body(null, 204);
  });

  app.openapi(signal, async (c) => {
    const caller = await execCaller(c);
    await controlExec(deps.nc, c.req.valid("param").id, caller, {
      type: "signal",
      signal: c.req.valid("json").signal,
    });
    return c.body(null, 204);
  });

  app.openapi(resize, async (c) => {
    const caller = await execCaller(c);
    await controlExec(deps.nc, c.req.valid("param").id, caller, { type: "resize", ...c.req.valid("json") });
    return c.body(null, 204);
  });
}
