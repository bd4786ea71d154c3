import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeAvailable, type ServerStack, startServerStack } from "./harness";
import {
  attach,
  rawExchange,
  request,
  run,
  splitResponseHead,
  WireError,
  type WireResponse,
} from "./wire-client";

/** Every failure of every route is a Garden error response, worded as Garden words it. */
describe.runIf(runtimeAvailable)("garden wire server: failures answer, never drop the connection", () => {
  let stack: ServerStack;

  beforeAll(async () => {
    stack = await startServerStack();
    const res = await request(stack.address, "POST", "/containers", {
      json: { handle: "errs", image: {}, limits: {} },
    });
    expect(res.status, res.text).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  }, 120_000);

  async function runError(spec: Record<string, unknown>, handle = "errs"): Promise<WireResponse> {
    const error = await run(stack.address, handle, spec).catch((caught: unknown) => caught);
    if (!(error instanceof WireError)) throw new Error(`expected an error response, got ${String(error)}`);
    return error.response;
  }

  function expectBody(res: WireResponse, status: number, fields: Record<string, unknown>) {
    expect(res.status, res.text).toBe(status);
    expect(res.headers["content-type"]).toBe("application/json");
    const body = res.json<Record<string, string>>();
    expect(Object.keys(body).sort()).toEqual(["Binary", "Handle", "Message", "ProcessID", "Type"]);
    expect(body).toMatchObject(fields);
    return body;
  }

  it("answers Run of a missing executable with ExecutableNotFoundError naming the binary", async () => {
    const body = expectBody(await runError({ path: "/no/such/binary" }), 500, {
      Type: "ExecutableNotFoundError",
      Binary: "/no/such/binary",
    });
    expect(body.Message).toMatch(/no\/such\/binary/);
  });

  it("answers Run as an unknown user with an error naming the user", async () => {
    const body = expectBody(await runError({ path: "true", user: "ghostuser" }), 500, { Type: "" });
    expect(body.Message).toMatch(/ghostuser/);
  });

  it("answers Run with a process ID in use as Guardian words it", async () => {
    const first = await run(stack.address, "errs", { id: "dup", path: "sleep", args: ["30"] });
    try {
      const body = expectBody(await runError({ id: "dup", path: "true" }), 500, { Type: "" });
      expect(body.Message).toBe("process ID 'dup' already in use");
    } finally {
      first.signal(1);
      await first.exit;
    }
  });

  it("answers Run in a working directory the user cannot create with an error naming it", async () => {
    const body = expectBody(
      await runError({ path: "true", user: "nobody", dir: "/root/deny/here" }),
      500,
      {},
    );
    expect(body.Message).toMatch(/\/root\/deny\/here/);
    // a directory the user can create is made for it, owned by it
    const session = await run(stack.address, "errs", {
      path: "sh",
      args: ["-c", "pwd; stat -c %u ."],
      user: "nobody",
      dir: "/tmp/made/for/nobody",
    });
    expect((await session.stdout).toString()).toBe("/tmp/made/for/nobody\n65534\n");
    expect((await session.exit).exit_status).toBe(0);
  });

  it("refuses bind mounts on a process spec and starts nothing", async () => {
    const body = expectBody(
      await runError({
        id: "mounting",
        path: "true",
        bind_mounts: [{ src_path: "/etc", dst_path: "/mnt/etc", mode: 0, origin: 0 }],
      }),
      500,
      { Type: "" },
    );
    expect(body.Message).toMatch(/bind mounts are refused on a process/);
    const attached = await attach(stack.address, "errs", "mounting").catch((caught: unknown) => caught);
    expect((attached as WireError).response.status).toBe(404);
  });

  it("answers Attach to an unknown process and Run/Attach on an unknown handle with Garden's words", async () => {
    const unknownProcess = await attach(stack.address, "errs", "nope").catch((caught: unknown) => caught);
    expectBody((unknownProcess as WireError).response, 404, {
      Type: "ProcessNotFoundError",
      ProcessID: "nope",
      Message: "unknown process: nope",
    });
    expectBody(await runError({ path: "true" }, "ghost"), 404, {
      Type: "ContainerNotFoundError",
      Handle: "ghost",
      Message: "unknown handle: ghost",
    });
  });

  it("answers a duplicate handle as Guardian words it", async () => {
    const res = await request(stack.address, "POST", "/containers", {
      json: { handle: "errs", image: {}, limits: {} },
    });
    expectBody(res, 500, { Type: "", Message: "Handle 'errs' already in use" });
  });

  it("answers a malformed request head with an error response instead of closing", async () => {
    const raw = await rawExchange(stack.address, "GET /ping HTTP/1.1\r\nno colon here\r\n\r\n");
    const split = splitResponseHead(raw);
    expect(split?.status).toBe(400);
    expect(JSON.parse(split?.rest.toString() ?? "")).toMatchObject({ Type: "" });
  });

  it("answers a Run whose body never completes with an error response", async () => {
    const raw = await rawExchange(
      stack.address,
      'POST /containers/errs/processes HTTP/1.1\r\nHost: api\r\nContent-Length: 50\r\n\r\n{"path":',
      { end: true },
    );
    const split = splitResponseHead(raw);
    expect(split?.status).toBe(500);
    expect(JSON.parse(split?.rest.toString() ?? "")).toMatchObject({ Type: "" });
  });
});
