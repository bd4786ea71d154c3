import { createHash, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGardenServer } from "../src/server";
import { eventually, runtimeAvailable, type ServerStack, startServerStack } from "./harness";
import { filesOf, tarOf } from "./tar";
import { attach, openSideStream, request, run, WireError, type WireResponse } from "./wire-client";

const limits = {
  bandwidth_limits: {},
  cpu_limits: { weight: 256 },
  disk_limits: {},
  memory_limits: { limit_in_bytes: 128 * 1024 * 1024 },
  pid_limits: { max: 200 },
};

/** A ContainerSpec the way Go's encoder writes one: empty structs present, zero fields left out. */
const specOf = (handle: string, extra: Record<string, unknown> = {}) => ({
  handle,
  image: {},
  limits: {},
  ...extra,
});

describe.runIf(runtimeAvailable)("garden wire server on the real runtime", () => {
  let stack: ServerStack;
  const api = (method: string, path: string, options?: Parameters<typeof request>[3]) =>
    request(stack.address, method, path, options);

  async function create(handle: string, extra: Record<string, unknown> = {}): Promise<void> {
    const res = await api("POST", "/containers", { json: specOf(handle, extra) });
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({ Handle: handle });
  }

  function expectGardenError(res: WireResponse, status: number, fields: Record<string, string>) {
    expect(res.status, res.text).toBe(status);
    expect(res.headers["content-type"]).toBe("application/json");
    const body = res.json<Record<string, string>>();
    expect(Object.keys(body).sort()).toEqual(["Binary", "Handle", "Message", "ProcessID", "Type"]);
    expect(body).toMatchObject(fields);
  }

  beforeAll(async () => {
    stack = await startServerStack({ networking: true });
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  it("answers ping with an empty JSON object and a newline, and capacity with snake_case fields", async () => {
    const ping = await api("GET", "/ping");
    expect(ping.status).toBe(200);
    expect(ping.headers["content-type"]).toBe("application/json");
    expect(ping.text).toBe("{}\n");
    const capacity = (await api("GET", "/capacity")).json<Record<string, number>>();
    expect(capacity.memory_in_bytes).toBeGreaterThan(0);
    expect(capacity.disk_in_bytes).toBeGreaterThan(0);
    expect(capacity.max_containers).toBeGreaterThan(0);
  });

  it("serves the same protocol over TCP, Run included", async () => {
    const tcp = createGardenServer({ garden: stack.garden, log: pino({ level: "silent" }) });
    const bound = await tcp.listen({ host: "127.0.0.1", port: 0 });
    try {
      if (typeof bound === "string") throw new Error("expected a TCP address");
      const address = { host: "127.0.0.1", port: bound.port };
      expect((await request(address, "GET", "/ping")).text).toBe("{}\n");
      await create("tcp");
      const session = await run(address, "tcp", { path: "echo", args: ["over tcp"] });
      expect((await session.stdout).toString()).toBe("over tcp\n");
      expect((await session.exit).exit_status).toBe(0);
    } finally {
      await tcp.close();
    }
  });

  it("answers 404 for a path that is no route", async () => {
    expect((await api("GET", "/nope")).status).toBe(404);
    expect((await api("PATCH", "/containers/x")).status).toBe(404);
  });

  it("creates a container with limits, properties and env, and reports them back", async () => {
    await create("full", {
      properties: { app: "web", team: "blue" },
      env: ["GREETING=hello from env"],
      limits,
    });
    const info = (await api("GET", "/containers/full/info")).json<Record<string, unknown>>();
    expect(info).toMatchObject({ State: "active", Properties: { app: "web", team: "blue" } });
    expect(Object.keys(info).sort()).toEqual(
      [
        "ContainerIP",
        "ContainerIPv6",
        "ContainerPath",
        "Events",
        "ExternalIP",
        "HostIP",
        "MappedPorts",
        "ProcessIDs",
        "Properties",
        "State",
      ].sort(),
    );

    expect((await api("GET", "/containers/full/limits/memory")).json()).toEqual({
      limit_in_bytes: 128 * 1024 * 1024,
    });
    expect((await api("GET", "/containers/full/limits/cpu")).json()).toMatchObject({ weight: 256 });
    expect((await api("GET", "/containers/full/limits/bandwidth")).status).toBe(200);
    expect((await api("GET", "/containers/full/limits/disk")).status).toBe(200);

    const session = await run(stack.address, "full", { path: "sh", args: ["-c", "echo $GREETING"] });
    expect((await session.stdout).toString()).toBe("hello from env\n");
    expect(await session.exit).toMatchObject({ exit_status: 0 });
  });

  it("rejects malformed bodies with 500, an empty Type and a message naming the problem", async () => {
    const bad = await api("POST", "/containers", { raw: "{not json", contentType: "application/json" });
    expectGardenError(bad, 500, { Type: "" });
    expect(bad.json<{ Message: string }>().Message).toMatch(/malformed JSON/);
    const wrongType = await api("POST", "/containers", { json: { handle: 12 } });
    expectGardenError(wrongType, 500, { Type: "" });
    expect(wrongType.json<{ Message: string }>().Message).toMatch(/handle/);
    const empty = await api("PUT", "/containers/whatever/stop", { raw: "" });
    expect(empty.json<{ Message: string }>().Message).toMatch(/EOF/);
    const badImage = await api("POST", "/containers", {
      json: specOf("badimage", { image: { uri: "ftp://x/y" } }),
    });
    expectGardenError(badImage, 500, {});
  });

  it("refuses a second container with a handle that exists", async () => {
    await create("twice");
    const again = await api("POST", "/containers", { json: specOf("twice") });
    expectGardenError(again, 500, {});
    expect(again.json<{ Message: string }>().Message).toMatch(/twice/);
  });

  it("lists containers filtered by properties, ANDed", async () => {
    await create("list-a", { properties: { role: "lister", zone: "a" } });
    await create("list-b", { properties: { role: "lister", zone: "b" } });
    const all = (await api("GET", "/containers")).json<{ Handles: string[] }>().Handles;
    expect(all).toEqual(expect.arrayContaining(["list-a", "list-b"]));
    const role = (await api("GET", "/containers", { query: { role: "lister" } })).json<{
      Handles: string[];
    }>();
    expect(role.Handles.sort()).toEqual(["list-a", "list-b"]);
    const both = (await api("GET", "/containers", { query: { role: "lister", zone: "b" } })).json<{
      Handles: string[];
    }>();
    expect(both.Handles).toEqual(["list-b"]);
    const none = (await api("GET", "/containers", { query: { role: "nobody" } })).json();
    expect(none).toEqual({ Handles: [] });
    const withAll = (
      await api("GET", "/containers", { query: { role: "lister", "garden.state": "all" } })
    ).json<{
      Handles: string[];
    }>();
    expect(withAll.Handles.sort()).toEqual(["list-a", "list-b"]);
  });

  it("hides a container still being created from List unless garden.state=all is asked for", async () => {
    const handles = async (query: Record<string, string>) =>
      (await api("GET", "/containers", { query })).json<{ Handles: string[] }>().Handles;
    let settled = false;
    const creating = api("POST", "/containers", { json: specOf("halfway") }).finally(() => {
      settled = true;
    });
    let seenHalfCreated = false;
    while (!settled && !seenHalfCreated) {
      // all first, then plain: if plain still lacks it, it existed and was not yet complete.
      if ((await handles({ "garden.state": "all" })).includes("halfway")) {
        seenHalfCreated = !(await handles({})).includes("halfway");
      }
    }
    expect((await creating).status).toBe(200);
    expect(seenHalfCreated).toBe(true);
    expect(await handles({})).toContain("halfway");
  });

  it("runs a process with stdin, separate stdout and stderr, and its exit code", async () => {
    await create("runner");
    const session = await run(stack.address, "runner", {
      path: "sh",
      args: ["-c", "read line; echo out:$line; echo err:$line >&2; cat; exit 3"],
    });
    expect(session.status).toBe(201);
    expect(session.headers["transfer-encoding"]).toBe("chunked");
    expect(session.processId).not.toBe("");
    session.sendStdin("hello\n");
    session.sendStdin("rest of stdin");
    session.closeStdin();
    const [stdout, stderr, exit] = await Promise.all([session.stdout, session.stderr, session.exit]);
    expect(stdout.toString()).toBe("out:hello\nrest of stdin");
    expect(stderr.toString()).toBe("err:hello\n");
    expect(exit).toEqual({ process_id: session.processId, exit_status: 3 });
  });

  it("applies a ProcessSpec's env, dir, user and rlimits", async () => {
    await create("procspec", { env: ["FROM_CONTAINER=c"] });
    const session = await run(stack.address, "procspec", {
      path: "sh",
      args: ["-c", "echo $FROM_CONTAINER $MINE; pwd; id -u; ulimit -n"],
      env: ["MINE=m"],
      dir: "/tmp",
      user: "nobody",
      rlimits: { nofile: 321 },
    });
    expect((await session.stdout).toString()).toBe("c m\n/tmp\n65534\n321\n");
    expect((await session.exit).exit_status).toBe(0);
  });

  it("bind-mounts a host directory read-only as the spec's mode and origin say", async () => {
    const hostDir = join(stack.dir, "shared");
    await mkdir(hostDir, { mode: 0o755 });
    await writeFile(join(hostDir, "note.txt"), "from the host\n", { mode: 0o644 });
    await create("mounts", {
      bind_mounts: [{ src_path: hostDir, dst_path: "/mnt/shared", mode: 0, origin: 0 }],
    });
    const session = await run(stack.address, "mounts", {
      path: "sh",
      args: [
        "-c",
        "cat /mnt/shared/note.txt; touch /mnt/shared/x 2>/dev/null && echo writable || echo read-only",
      ],
    });
    expect((await session.stdout).toString()).toBe("from the host\nread-only\n");
    expect((await session.exit).exit_status).toBe(0);
  });

  it("passes stdout through as raw bytes, not as JSON", async () => {
    await create("binary");
    const session = await run(stack.address, "binary", { path: "printf", args: ["\\001\\377\\n"] });
    expect([...(await session.stdout)]).toEqual([1, 255, 10]);
    expect((await session.exit).exit_status).toBe(0);
  });

  it("uses the process id the client chose and refuses Run on a missing container with a 404 body", async () => {
    await create("named");
    const session = await run(stack.address, "named", { id: "my-proc", path: "true" });
    expect(session.processId).toBe("my-proc");
    await session.exit;
    const error = await run(stack.address, "ghost", { path: "true" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WireError);
    expectGardenError((error as WireError).response, 404, {
      Type: "ContainerNotFoundError",
      Handle: "ghost",
    });
  });

  it("refuses Run of a missing executable with ExecutableNotFoundError", async () => {
    await create("noexec");
    const error = await run(stack.address, "noexec", { path: "/no/such/binary" }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(WireError);
    expectGardenError((error as WireError).response, 500, { Type: "ExecutableNotFoundError" });
  });

  it("refuses a malformed ProcessSpec before hijacking, naming the field", async () => {
    await create("badspec");
    const error = await run(stack.address, "badspec", { path: 5 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WireError);
    expectGardenError((error as WireError).response, 500, { Type: "" });
    expect((error as WireError).response.json<{ Message: string }>().Message).toMatch(/path/);
  });

  it("answers a side connection for an unknown stream id with 200 and an immediate end, like the reference", async () => {
    const side = await openSideStream(stack.address, "nobody", "p", "999999", "stdout");
    expect(side.status).toBe(200);
    expect(side.headers["transfer-encoding"]).toBe("chunked");
    expect((await side.data).length).toBe(0);
  });

  it("survives a garbage frame on the main connection and still sends the exit status", async () => {
    await create("garbage");
    const session = await run(stack.address, "garbage", { path: "sh", args: ["-c", "sleep 0.3; echo done"] });
    session.writeRaw("this is not json\n");
    expect((await session.stdout).toString()).toBe("done\n");
    expect((await session.exit).exit_status).toBe(0);
  });

  it("runs a TTY process at the requested window size and resizes it", async () => {
    await create("tty");
    const session = await run(stack.address, "tty", {
      path: "sh",
      args: ["-c", "stty size; read x; stty size"],
      tty: { window_size: { columns: 80, rows: 24 } },
    });
    let output = "";
    const stdoutDone = session.stdout.then((b) => {
      output = b.toString();
    });
    // resize only once the first size was printed, or the process could see the new size first
    await eventually(async () => session.stdoutSoFar().includes("24 80"), 5_000, "first stty size");
    session.resize(132, 43);
    // The resize frame and the newline travel in order on the same connection.
    session.sendStdin("\n");
    await stdoutDone;
    expect((await session.exit).exit_status).toBe(0);
    expect(output).toContain("24 80");
    expect(output).toContain("43 132");
  });

  it("terminates and kills long-running processes on signal frames", async () => {
    await create("signals");
    const terminated = await run(stack.address, "signals", { path: "sleep", args: ["1000"] });
    terminated.signal(0);
    expect((await terminated.exit).exit_status).toBe(143);
    const killed = await run(stack.address, "signals", {
      path: "sh",
      args: ["-c", "trap '' TERM; sleep 1000"],
    });
    killed.signal(1);
    expect((await killed.exit).exit_status).toBe(137);
  });

  it("attaches from a second connection, seeing output produced before the attach, and both see the exit", async () => {
    await create("attach");
    const first = await run(stack.address, "attach", {
      path: "sh",
      args: ["-c", "echo before; read x; echo after:$x; exit 5"],
    });
    const firstOut = first.stdout;
    const second = await attach(stack.address, "attach", first.processId);
    expect(second.status).toBe(200);
    expect(second.headers["transfer-encoding"]).toBe("chunked");
    expect(second.processId).toBe(first.processId);
    second.sendStdin("from-second\n");
    const [out1, out2, exit1, exit2] = await Promise.all([firstOut, second.stdout, first.exit, second.exit]);
    expect(out2.toString()).toBe("before\nafter:from-second\n");
    expect(out1.toString()).toBe("before\nafter:from-second\n");
    expect(exit1.exit_status).toBe(5);
    expect(exit2.exit_status).toBe(5);
  });

  it("lets a late Attach see a finished process's output and exit status", async () => {
    await create("late");
    const first = await run(
      stack.address,
      "late",
      { path: "sh", args: ["-c", "echo done-already; exit 9"] },
      {
        stdout: false,
        stderr: false,
      },
    );
    expect((await first.exit).exit_status).toBe(9);
    const late = await attach(stack.address, "late", first.processId);
    expect((await late.stdout).toString()).toBe("done-already\n");
    expect((await late.exit).exit_status).toBe(9);
  });

  it("answers Attach to an unknown process with a ProcessNotFoundError 404", async () => {
    await create("noproc");
    const error = await attach(stack.address, "noproc", "nope").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WireError);
    expectGardenError((error as WireError).response, 404, {
      Type: "ProcessNotFoundError",
      ProcessID: "nope",
    });
  });

  it("streams a tar archive in and the same files back out", async () => {
    await create("files");
    const archive = await tarOf({ "hello.txt": "hello tar\n", "sub/deep.txt": "deep\n" });
    const streamed = await api("PUT", "/containers/files/files", {
      query: { user: "root", destination: "/tmp/in" },
      // Go sends an io.Reader body chunked; do the same.
      raw: Readable.from([archive.subarray(0, 700), archive.subarray(700)]),
      contentType: "application/x-tar",
    });
    expect(streamed.status, streamed.text).toBe(200);
    expect(streamed.text).toBe("{}\n");
    const check = await run(stack.address, "files", {
      path: "cat",
      args: ["/tmp/in/hello.txt", "/tmp/in/sub/deep.txt"],
    });
    expect((await check.stdout).toString()).toBe("hello tar\ndeep\n");

    const out = await api("GET", "/containers/files/files", {
      query: { user: "root", source: "/tmp/in/sub" },
    });
    expect(out.status).toBe(200);
    const files = await filesOf(out.body);
    expect(Object.entries(files).find(([name]) => name.endsWith("deep.txt"))?.[1]).toBe("deep\n");

    const missing = await api("GET", "/containers/files/files", {
      query: { user: "root", source: "/no/such" },
    });
    expectGardenError(missing, 500, {});
  });

  it("streams a large archive in and out unchanged through the handed-off connection", async () => {
    await create("bigfiles");
    const payload = randomBytes(6 * 1024 * 1024).toString("base64");
    const archive = await tarOf({ "big.txt": payload });
    const pieces = Array.from({ length: Math.ceil(archive.length / 65536) }, (_, i) =>
      archive.subarray(i * 65536, (i + 1) * 65536),
    );
    const streamed = await api("PUT", "/containers/bigfiles/files", {
      query: { destination: "/tmp/big" },
      raw: Readable.from(pieces),
    });
    expect(streamed.status, streamed.text).toBe(200);
    const out = await api("GET", "/containers/bigfiles/files", { query: { source: "/tmp/big/big.txt" } });
    const files = await filesOf(out.body);
    const content = Object.values(files)[0] ?? "";
    expect(content.length).toBe(payload.length);
    expect(createHash("sha256").update(content).digest("hex")).toBe(
      createHash("sha256").update(payload).digest("hex"),
    );
  });

  it("reports info, metrics and bulk info/metrics with per-handle errors", async () => {
    await create("bulk-a", { properties: { k: "v" } });
    const metrics = (await api("GET", "/containers/bulk-a/metrics")).json<
      Record<string, Record<string, unknown>>
    >();
    expect(Object.keys(metrics).sort()).toEqual(
      ["Age", "CPUEntitlement", "CPUStat", "DiskStat", "MemoryStat", "NetworkStat", "PidStat"].sort(),
    );
    expect(metrics.MemoryStat).toHaveProperty("total_rss");
    expect(metrics.MemoryStat).toHaveProperty("hierarchical_memory_limit");
    expect(metrics.CPUStat).toHaveProperty("Usage");
    expect(metrics.Age as unknown as number).toBeGreaterThan(0);

    const bulk = (await api("GET", "/containers/bulk_info", { query: { handles: "bulk-a,ghost" } })).json<
      Record<string, { Info: Record<string, unknown>; Err: Record<string, string> | null }>
    >();
    expect(bulk["bulk-a"]?.Err).toBeNull();
    expect(bulk["bulk-a"]?.Info).toMatchObject({ State: "active", Properties: { k: "v" } });
    expect(bulk.ghost?.Err).toMatchObject({ Type: "ContainerNotFoundError", Handle: "ghost" });

    const bulkMetrics = (
      await api("GET", "/containers/bulk_metrics", { query: { handles: "bulk-a,ghost" } })
    ).json<Record<string, { Metrics: Record<string, unknown>; Err: Record<string, string> | null }>>();
    expect(bulkMetrics["bulk-a"]?.Err).toBeNull();
    expect(bulkMetrics["bulk-a"]?.Metrics).toHaveProperty("MemoryStat");
    expect(bulkMetrics.ghost?.Err).toMatchObject({ Type: "ContainerNotFoundError" });
    expect((await api("GET", "/containers/bulk_info", { query: { handles: "" } })).json()).toEqual({});
  });

  it("sets, reads, lists and removes properties", async () => {
    await create("props", { properties: { initial: "1" } });
    const set = await api("PUT", "/containers/props/properties/color", { json: { value: "green" } });
    expect(set.text).toBe("{}\n");
    expect((await api("GET", "/containers/props/properties/color")).json()).toEqual({ value: "green" });
    expect((await api("GET", "/containers/props/properties")).json()).toMatchObject({
      initial: "1",
      color: "green",
    });
    expect((await api("DELETE", "/containers/props/properties/color")).text).toBe("{}\n");
    const gone = await api("GET", "/containers/props/properties/color");
    expectGardenError(gone, 500, {});
    const filtered = (await api("GET", "/containers", { query: { color: "green" } })).json<{
      Handles: string[];
    }>();
    expect(filtered.Handles).not.toContain("props");
  });

  it("destroys a container once its grace time passes, but not while a Run stream is open", async () => {
    await create("grace");
    const set = await api("PUT", "/containers/grace/grace_time", { json: 1_000_000_000 });
    expect(set.text).toBe("{}\n");
    const session = await run(stack.address, "grace", { path: "sh", args: ["-c", "read x"] });
    const listed = async () => (await api("GET", "/containers")).json<{ Handles: string[] }>().Handles;
    // Held by the open stream: still there well after its grace time.
    const holdUntil = Date.now() + 2_500;
    while (Date.now() < holdUntil) {
      expect(await listed()).toContain("grace");
      await new Promise((r) => setTimeout(r, 250));
    }
    session.closeStdin();
    await session.exit;
    await eventually(async () => !(await listed()).includes("grace"), 15_000, "the grace time to expire");
    const bad = await api("PUT", "/containers/props/grace_time", { json: "soon" });
    expectGardenError(bad, 500, { Type: "" });
  });

  it("stops a container's processes and marks it stopped", async () => {
    await create("stopper");
    const session = await run(stack.address, "stopper", { path: "sleep", args: ["1000"] });
    const stopped = await api("PUT", "/containers/stopper/stop", { json: { kill: false } });
    expect(stopped.text).toBe("{}\n");
    expect((await session.exit).exit_status).not.toBe(0);
    expect((await api("GET", "/containers/stopper/info")).json()).toMatchObject({ State: "stopped" });
    const killed = await api("PUT", "/containers/stopper/stop", { json: { kill: true } });
    expect(killed.status).toBe(200);
  });

  it("destroys a container, after which every route answers 404 with its handle", async () => {
    await create("doomed");
    expect((await api("DELETE", "/containers/doomed")).text).toBe("{}\n");
    const routes: [string, string, unknown?][] = [
      ["GET", "/containers/doomed/info"],
      ["DELETE", "/containers/doomed"],
      ["PUT", "/containers/doomed/stop", { kill: false }],
      ["GET", "/containers/doomed/files?source=/tmp"],
      ["GET", "/containers/doomed/limits/bandwidth"],
      ["GET", "/containers/doomed/limits/cpu"],
      ["GET", "/containers/doomed/limits/disk"],
      ["GET", "/containers/doomed/limits/memory"],
      ["POST", "/containers/doomed/net/in", { host_port: 0, container_port: 1 }],
      ["POST", "/containers/doomed/net/out", { protocol: 0 }],
      ["POST", "/containers/doomed/net/out/bulk", []],
      ["PUT", "/containers/doomed/grace_time", 5],
      ["GET", "/containers/doomed/properties"],
      ["GET", "/containers/doomed/properties/k"],
      ["PUT", "/containers/doomed/properties/k", { value: "v" }],
      ["DELETE", "/containers/doomed/properties/k"],
      ["GET", "/containers/doomed/metrics"],
    ];
    for (const [method, target, json] of routes) {
      const [path, qs] = target.split("?");
      const res = await api(method, path ?? "", {
        ...(json !== undefined ? { json } : {}),
        ...(qs ? { query: Object.fromEntries(new URLSearchParams(qs)) } : {}),
      });
      expectGardenError(res, 404, { Type: "ContainerNotFoundError", Handle: "doomed" });
    }
    const streamIn = await api("PUT", "/containers/doomed/files", {
      query: { destination: "/tmp" },
      raw: await tarOf({ a: "b" }),
    });
    expectGardenError(streamIn, 404, { Type: "ContainerNotFoundError" });
    const attachError = await attach(stack.address, "doomed", "p").catch((caught: unknown) => caught);
    expectGardenError((attachError as WireError).response, 404, { Type: "ContainerNotFoundError" });
  });
});
