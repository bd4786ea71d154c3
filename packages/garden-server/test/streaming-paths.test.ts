import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeAvailable, type ServerStack, startServerStack } from "./harness";
import { filesOf, tarOf } from "./tar";
import { request, run } from "./wire-client";

/** StreamIn/StreamOut paths as Garden reads them: relative to the user's home, "dir/" = its contents. */
describe.runIf(runtimeAvailable)("garden wire server: stream in/out paths", () => {
  let stack: ServerStack;
  const api = (method: string, path: string, options?: Parameters<typeof request>[3]) =>
    request(stack.address, method, path, options);

  beforeAll(async () => {
    stack = await startServerStack();
    const res = await api("POST", "/containers", { json: { handle: "paths", image: {}, limits: {} } });
    expect(res.status, res.text).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  }, 120_000);

  it("resolves a relative destination and source against the user's home", async () => {
    const archive = await tarOf({ "note.txt": "in home\n" });
    const res = await api("PUT", "/containers/paths/files", {
      query: { user: "root", destination: "rel" },
      raw: archive,
      contentType: "application/x-tar",
    });
    expect(res.status, res.text).toBe(200);
    const check = await run(stack.address, "paths", { path: "cat", args: ["/root/rel/note.txt"] });
    expect((await check.stdout).toString()).toBe("in home\n");

    const out = await api("GET", "/containers/paths/files", { query: { user: "root", source: "rel/" } });
    expect(out.status, out.text).toBe(200);
    expect(await filesOf(out.body)).toEqual({ "./note.txt": "in home\n" });
    const whole = await api("GET", "/containers/paths/files", { query: { user: "root", source: "rel" } });
    expect(await filesOf(whole.body)).toEqual({ "rel/note.txt": "in home\n" });
  });

  it("reads an absolute directory with a trailing slash as its contents, nested ones too", async () => {
    const archive = await tarOf({ "a.txt": "a\n", "sub/b.txt": "b\n" });
    const res = await api("PUT", "/containers/paths/files", {
      query: { user: "vcap", destination: "/home/vcap/tree/" },
      raw: archive,
      contentType: "application/x-tar",
    });
    expect(res.status, res.text).toBe(200);
    const contents = await api("GET", "/containers/paths/files", {
      query: { user: "vcap", source: "/home/vcap/tree/" },
    });
    expect(await filesOf(contents.body)).toEqual({ "./a.txt": "a\n", "./sub/b.txt": "b\n" });
    const owners = await run(stack.address, "paths", {
      path: "stat",
      args: ["-c", "%U", "/home/vcap/tree", "/home/vcap/tree/sub/b.txt"],
    });
    expect((await owners.stdout).toString()).toBe("vcap\nvcap\n");
  });

  it.each([
    ["a directory it may not create", "/root/nope"],
    ["another user's directory", "/home/vcap"],
  ])("refuses StreamIn into %s as Garden does, changing nothing", async (_, destination) => {
    const res = await api("PUT", "/containers/paths/files", {
      query: { user: "nobody", destination },
      raw: await tarOf({ "planted.txt": "x\n" }),
      contentType: "application/x-tar",
    });
    expect(res.status).toBe(500);
    expect(res.json<{ Message: string }>().Message).toContain("Permission denied");
    const check = await run(stack.address, "paths", {
      path: "sh",
      args: [
        "-c",
        `ls -A ${destination}/planted.txt /root/nope 2>&1 | grep -v 'No such file' || echo untouched`,
      ],
    });
    expect((await check.stdout).toString()).toBe("untouched\n");
  });

  it("refuses StreamOut of what the user may not read", async () => {
    const res = await api("GET", "/containers/paths/files", {
      query: { user: "nobody", source: "/root/rel" },
    });
    expect(res.status).toBe(500);
    expect(res.json<{ Message: string }>().Message).toContain("Permission denied");
  });
});
