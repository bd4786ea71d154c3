import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, runtimeAvailable, type ServerStack, startServerStack } from "./harness";
import { attach, request, run } from "./wire-client";

describe.runIf(runtimeAvailable)("garden wire server across a restart of server and runtime", () => {
  let stack: ServerStack;
  const api = (method: string, path: string, options?: Parameters<typeof request>[3]) =>
    request(stack.address, method, path, options);

  beforeAll(async () => {
    stack = await startServerStack({ networking: true });
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  it("keeps the process running and attachable with its earlier output, and properties and NetIn intact", async () => {
    const created = await api("POST", "/containers", {
      json: {
        handle: "survivor",
        image: {},
        limits: {},
        properties: { owner: "restart-test" },
        netin: [{ host_port: 0, container_port: 8080 }],
      },
    });
    expect(created.status, created.text).toBe(200);
    expect(
      (await api("PUT", "/containers/survivor/properties/later", { json: { value: "set-before" } })).status,
    ).toBe(200);
    const first = await run(stack.address, "survivor", {
      path: "sh",
      args: ["-c", "echo started:$$; read x; echo got:$x; exit 7"],
    });
    await eventually(async () => first.stdoutSoFar().includes("started:"), 10_000, "the process to start");

    const before = (await api("GET", "/containers/survivor/info")).json<Record<string, unknown>>();
    expect(before.MappedPorts).toHaveLength(1);

    await stack.restart();
    // The old connection ends without an exit status, as with the reference server's shutdown.
    await expect(first.exit).rejects.toThrow(/without an exit frame/);

    const listed = (await api("GET", "/containers")).json<{ Handles: string[] }>();
    expect(listed.Handles).toContain("survivor");
    const info = (await api("GET", "/containers/survivor/info")).json<{
      Properties: Record<string, string>;
      ProcessIDs: string[];
      MappedPorts: unknown;
      ContainerIP: string;
    }>();
    expect(info.Properties).toMatchObject({ owner: "restart-test", later: "set-before" });
    expect(info.MappedPorts).toEqual(before.MappedPorts);
    expect(info.ContainerIP).toBe(before.ContainerIP);
    expect(info.ProcessIDs).toContain(first.processId);

    const again = await attach(stack.address, "survivor", first.processId);
    expect(again.status).toBe(200);
    again.sendStdin("after-restart\n");
    const [stdout, exit] = await Promise.all([again.stdout, again.exit]);
    const text = stdout.toString();
    // One "started" line: the process was never restarted, and its earlier output was kept.
    expect(text.match(/started:/g)).toHaveLength(1);
    expect(text).toMatch(/^started:\d+\ngot:after-restart\n$/);
    expect(exit).toEqual({ process_id: first.processId, exit_status: 7 });
  });
});
