import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeAvailable, type ServerStack, startServerStack } from "./harness";
import {
  type RequestOptions,
  rawExchange,
  request,
  run,
  splitResponseHead,
  type WireResponse,
} from "./wire-client";

interface BadInput {
  route: string;
  method: string;
  path: string;
  options?: RequestOptions;
  /** 404 for an unknown container or process, 500 otherwise (as Garden answers) */
  status?: number;
  type?: string;
  message?: RegExp;
}

const ghost = { status: 404, type: "ContainerNotFoundError", message: /^unknown handle: ghost$/ };
const json = (value: unknown): RequestOptions => ({ json: value });
const raw = (text: string, contentType = "application/json"): RequestOptions => ({ raw: text, contentType });

/** Every route, each way a client can get it wrong: the answer is always a Garden error body. */
const cases: BadInput[] = [
  { route: "Create", method: "POST", path: "/containers", options: raw("{not json") },
  { route: "Create", method: "POST", path: "/containers", options: raw("") },
  { route: "Create", method: "POST", path: "/containers", options: json([]) },
  { route: "Create", method: "POST", path: "/containers", options: json({ handle: 5 }) },
  { route: "Create", method: "POST", path: "/containers", options: json({ handle: "a/b" }) },
  { route: "Create", method: "POST", path: "/containers", options: json({ grace_time: "soon" }) },
  {
    route: "Create",
    method: "POST",
    path: "/containers",
    options: json({ limits: { memory_limits: { limit_in_bytes: -1 } } }),
    message: /limit_in_bytes/,
  },
  { route: "Create", method: "POST", path: "/containers", options: json({ image: { uri: "ftp://x/y" } }) },
  {
    route: "Create",
    method: "POST",
    path: "/containers",
    options: json({ image: { uri: "/no/such/rootfs" } }),
  },
  { route: "Create", method: "POST", path: "/containers", options: json({ network: "10.0.0.0/99" }) },
  { route: "Create", method: "POST", path: "/containers", options: json({ network: "not-a-network" }) },
  {
    route: "Create",
    method: "POST",
    path: "/containers",
    options: json({ bind_mounts: [{ src_path: "/etc", dst_path: "/mnt/etc", mode: 0, origin: 0 }] }),
  },
  { route: "Create", method: "POST", path: "/containers", options: json({ netin: [{ host_port: 70000 }] }) },
  {
    route: "Create",
    method: "POST",
    path: "/containers",
    options: json({ netout_rules: [{ protocol: 9 }] }),
  },
  { route: "Info", method: "GET", path: "/containers/ghost/info", ...ghost },
  { route: "Destroy", method: "DELETE", path: "/containers/ghost", ...ghost },
  { route: "Stop", method: "PUT", path: "/containers/ghost/stop", options: json({ kill: true }), ...ghost },
  { route: "Stop", method: "PUT", path: "/containers/bad/stop", options: raw("{kill") },
  { route: "Stop", method: "PUT", path: "/containers/bad/stop", options: json({ kill: "yes" }) },
  { route: "StreamIn", method: "PUT", path: "/containers/ghost/files", options: tarQuery("/tmp"), ...ghost },
  { route: "StreamIn", method: "PUT", path: "/containers/bad/files", options: tarQuery("/tmp", "garbage") },
  { route: "StreamIn", method: "PUT", path: "/containers/bad/files", options: tarQuery("") },
  {
    route: "StreamIn",
    method: "PUT",
    path: "/containers/bad/files",
    options: { ...tarQuery("/tmp"), query: { destination: "/tmp", user: "ghostuser" } },
    message: /ghostuser/,
  },
  {
    route: "StreamIn",
    method: "PUT",
    path: "/containers/bad/files",
    options: { ...tarQuery("/tmp"), query: { destination: "/etc/passwd/below" } },
  },
  {
    route: "StreamOut",
    method: "GET",
    path: "/containers/ghost/files",
    options: { query: { source: "/etc" } },
    ...ghost,
  },
  {
    route: "StreamOut",
    method: "GET",
    path: "/containers/bad/files",
    options: { query: { source: "/no/such" } },
  },
  { route: "StreamOut", method: "GET", path: "/containers/bad/files", options: { query: {} } },
  {
    route: "StreamOut",
    method: "GET",
    path: "/containers/bad/files",
    options: { query: { source: "/etc", user: "ghostuser" } },
  },
  ...["bandwidth", "cpu", "disk", "memory"].map(
    (kind): BadInput => ({
      route: `Current${kind}Limits`,
      method: "GET",
      path: `/containers/ghost/limits/${kind}`,
      ...ghost,
    }),
  ),
  {
    route: "NetIn",
    method: "POST",
    path: "/containers/ghost/net/in",
    options: json({ host_port: 0 }),
    ...ghost,
  },
  { route: "NetIn", method: "POST", path: "/containers/bad/net/in", options: raw("[") },
  { route: "NetIn", method: "POST", path: "/containers/bad/net/in", options: json({ host_port: 70000 }) },
  { route: "NetIn", method: "POST", path: "/containers/bad/net/in", options: json({ host_port: -1 }) },
  {
    route: "NetIn",
    method: "POST",
    path: "/containers/bad/net/in",
    options: json({ container_port: "http" }),
  },
  {
    route: "NetOut",
    method: "POST",
    path: "/containers/ghost/net/out",
    options: json({ protocol: 1 }),
    ...ghost,
  },
  { route: "NetOut", method: "POST", path: "/containers/bad/net/out", options: raw("{") },
  { route: "NetOut", method: "POST", path: "/containers/bad/net/out", options: json({ protocol: 9 }) },
  {
    route: "NetOut",
    method: "POST",
    path: "/containers/bad/net/out",
    options: json({ protocol: 1, networks: [{ start: "10.0.0.300", end: "10.0.0.1" }] }),
  },
  {
    route: "NetOut",
    method: "POST",
    path: "/containers/bad/net/out",
    options: json({ protocol: 1, ports: [{ start: 9, end: 70000 }] }),
  },
  {
    route: "BulkNetOut",
    method: "POST",
    path: "/containers/ghost/net/out/bulk",
    options: json([]),
    ...ghost,
  },
  { route: "BulkNetOut", method: "POST", path: "/containers/bad/net/out/bulk", options: json({}) },
  {
    route: "BulkNetOut",
    method: "POST",
    path: "/containers/bad/net/out/bulk",
    options: json([{ protocol: 9 }]),
  },
  {
    route: "Run",
    method: "POST",
    path: "/containers/ghost/processes",
    options: json({ path: "true" }),
    ...ghost,
  },
  { route: "Run", method: "POST", path: "/containers/bad/processes", options: raw("{path") },
  { route: "Run", method: "POST", path: "/containers/bad/processes", options: json({ path: "" }) },
  { route: "Run", method: "POST", path: "/containers/bad/processes", options: json({ path: 7 }) },
  {
    route: "Run",
    method: "POST",
    path: "/containers/bad/processes",
    options: json({ id: "a b/c", path: "true" }),
  },
  {
    route: "Run",
    method: "POST",
    path: "/containers/bad/processes",
    options: json({ path: "true", rlimits: { nofile: -1 } }),
  },
  {
    route: "Run",
    method: "POST",
    path: "/containers/bad/processes",
    options: json({ path: "true", tty: { window_size: { columns: -1, rows: 2 } } }),
  },
  {
    route: "Run",
    method: "POST",
    path: "/containers/bad/processes",
    options: json({ path: "true", image: { uri: "/no/such/rootfs" } }),
  },
  {
    route: "Run",
    method: "POST",
    path: "/containers/bad/processes",
    options: json({ path: "true", dir: "/etc/passwd/below" }),
  },
  {
    route: "Attach",
    method: "GET",
    path: "/containers/bad/processes/nope",
    status: 404,
    type: "ProcessNotFoundError",
  },
  { route: "Attach", method: "GET", path: "/containers/ghost/processes/nope", ...ghost },
  {
    route: "SetGraceTime",
    method: "PUT",
    path: "/containers/ghost/grace_time",
    options: raw("1000000000\n"),
    ...ghost,
  },
  { route: "SetGraceTime", method: "PUT", path: "/containers/bad/grace_time", options: raw('"soon"') },
  { route: "SetGraceTime", method: "PUT", path: "/containers/bad/grace_time", options: raw("-1") },
  { route: "Properties", method: "GET", path: "/containers/ghost/properties", ...ghost },
  { route: "Property", method: "GET", path: "/containers/ghost/properties/k", ...ghost },
  { route: "Property", method: "GET", path: "/containers/bad/properties/missing-key" },
  {
    route: "SetProperty",
    method: "PUT",
    path: "/containers/ghost/properties/k",
    options: json({ value: "v" }),
    ...ghost,
  },
  { route: "SetProperty", method: "PUT", path: "/containers/bad/properties/k", options: raw("{value") },
  { route: "SetProperty", method: "PUT", path: "/containers/bad/properties/k", options: json({ value: 5 }) },
  { route: "RemoveProperty", method: "DELETE", path: "/containers/ghost/properties/k", ...ghost },
  { route: "RemoveProperty", method: "DELETE", path: "/containers/bad/properties/missing-key" },
  { route: "Metrics", method: "GET", path: "/containers/ghost/metrics", ...ghost },
];

function tarQuery(destination: string, body = ""): RequestOptions {
  return {
    query: destination ? { destination } : {},
    raw: body || Buffer.alloc(1024),
    contentType: "application/x-tar",
  };
}

describe.runIf(runtimeAvailable)("garden wire server: bad input on every route", () => {
  let stack: ServerStack;

  beforeAll(async () => {
    stack = await startServerStack({ networking: true });
    const res = await request(stack.address, "POST", "/containers", {
      json: { handle: "bad", image: {}, limits: {} },
    });
    expect(res.status, res.text).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  }, 120_000);

  it.each(cases.map((c) => [`${c.route} ${c.method} ${c.path} ${describeInput(c.options)}`, c] as const))(
    "%s answers with a Garden error",
    async (_, c) => {
      const res = await withDeadline(request(stack.address, c.method, c.path, c.options ?? {}), c);
      expect(res.status, res.text).toBe(c.status ?? 500);
      expect(res.headers["content-type"], res.text).toBe("application/json");
      const body = res.json<Record<string, string>>();
      expect(Object.keys(body).sort()).toEqual(["Binary", "Handle", "Message", "ProcessID", "Type"]);
      expect(body.Type).toBe(c.type ?? "");
      expect(body.Message).not.toBe("");
      if (c.message) expect(body.Message).toMatch(c.message);
    },
  );

  it("changes nothing: the container still runs processes and has no stray properties", async () => {
    const list = await request(stack.address, "GET", "/containers");
    expect(list.json<{ Handles: string[] }>().Handles).toEqual(["bad"]);
    const props = await request(stack.address, "GET", "/containers/bad/properties");
    expect(Object.keys(props.json<Record<string, string>>()).filter((k) => !k.startsWith("garden."))).toEqual(
      [],
    );
    const session = await run(stack.address, "bad", { path: "echo", args: ["fine"] });
    expect((await session.stdout).toString()).toBe("fine\n");
  });

  it.each(["stdout", "stderr"])(
    "answers a %s side connection of an unknown stream, or of another process's, as the reference does: 200 and an empty stream",
    async (which) => {
      const other = await run(stack.address, "bad", {
        path: "sh",
        args: ["-c", "echo theirs; echo theirs >&2"],
      });
      expect((await other.exit).exit_status).toBe(0);
      for (const [pid, streamId] of [
        ["nope", "999999"],
        ["nope", other.streamId],
      ]) {
        const raw = await rawExchange(
          stack.address,
          `GET /containers/bad/processes/${pid}/attaches/${streamId}/${which} HTTP/1.1\r\nHost: api\r\n\r\n`,
        );
        const split = splitResponseHead(raw);
        expect(split?.status).toBe(200);
        expect(split?.rest.toString()).toBe("");
      }
    },
  );

  it("reports an unknown handle inside BulkInfo and BulkMetrics instead of failing them", async () => {
    for (const route of ["bulk_info", "bulk_metrics"]) {
      const res = await request(stack.address, "GET", `/containers/${route}`, {
        query: { handles: "ghost" },
      });
      expect(res.status, res.text).toBe(200);
      const err = res.json<Record<string, { Err: { Type: string; Message: string } }>>().ghost?.Err;
      expect(err).toMatchObject({ Type: "ContainerNotFoundError", Message: "unknown handle: ghost" });
    }
  });
});

function describeInput(options: RequestOptions | undefined): string {
  if (!options) return "";
  const body = options.json !== undefined ? JSON.stringify(options.json) : String(options.raw ?? "");
  const query = options.query ? new URLSearchParams(options.query).toString() : "";
  return `${query ? `?${query} ` : ""}${body.length > 60 ? `${body.slice(0, 60)}…` : body}`;
}

/** A server that accepted bad input would leave a hijacked connection open: fail instead of hanging. */
function withDeadline(response: Promise<WireResponse>, c: BadInput): Promise<WireResponse> {
  return Promise.race([
    response,
    new Promise<WireResponse>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within 10 s: ${c.method} ${c.path}`)), 10_000).unref(),
    ),
  ]);
}
