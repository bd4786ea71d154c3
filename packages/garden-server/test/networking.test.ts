import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, runtimeAvailable, type ServerStack, startServerStack } from "./harness";
import { request, run } from "./wire-client";

describe.runIf(runtimeAvailable)("garden wire server: NetIn on the real runtime and CNI networker", () => {
  let stack: ServerStack;
  const api = (method: string, path: string, options?: Parameters<typeof request>[3]) =>
    request(stack.address, method, path, options);

  beforeAll(async () => {
    stack = await startServerStack({ networking: true });
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  it("creates a container with NetIn in its spec and lists the mapping in Info", async () => {
    const created = await api("POST", "/containers", {
      json: { handle: "mapped", image: {}, limits: {}, netin: [{ host_port: 0, container_port: 8080 }] },
    });
    expect(created.status, created.text).toBe(200);
    const info = (await api("GET", "/containers/mapped/info")).json<Record<string, unknown>>();
    expect(info.ContainerIP).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(info.ExternalIP).toBe(stack.host?.address);
    const mapped = info.MappedPorts as { HostPort: number; ContainerPort: number }[];
    expect(mapped).toHaveLength(1);
    expect(mapped[0]?.ContainerPort).toBe(8080);
    expect(mapped[0]?.HostPort).toBeGreaterThanOrEqual(61001);
  });

  it("maps NetIn so a server in the container answers on the cell's external address", async () => {
    const host = stack.host;
    if (!host) throw new Error("stack has no cell host");
    const created = await api("POST", "/containers", { json: { handle: "netin", image: {}, limits: {} } });
    expect(created.status, created.text).toBe(200);
    const res = await api("POST", "/containers/netin/net/in", {
      json: { handle: "netin", host_port: 0, container_port: 7070 },
    });
    const mapping = res.json<{ host_port: number; container_port: number }>();
    expect(mapping.container_port).toBe(7070);
    expect(mapping.host_port).toBeGreaterThanOrEqual(61001);
    const same = (
      await api("POST", "/containers/netin/net/in", { json: { host_port: 0, container_port: 0 } })
    ).json<{
      host_port: number;
      container_port: number;
    }>();
    expect(same.container_port).toBe(same.host_port);

    const server = await run(stack.address, "netin", {
      path: "sh",
      args: ["-c", "echo pong-from-container | nc -l -p 7070"],
    });
    const reply = await eventually(
      async () => {
        const script = `busybox nc -w 2 ${host.address} ${mapping.host_port} </dev/null`;
        const stdout = await host.exec("sh", ["-c", script]).then(
          (result) => String(result.stdout),
          () => "",
        );
        return stdout.includes("pong-from-container") && stdout;
      },
      10_000,
      "a reply through the NetIn mapping",
    );
    expect(reply).toContain("pong-from-container");
    expect((await server.exit).exit_status).toBe(0);
  });

  it("accepts NetOut and BulkNetOut rules and rejects malformed ones", async () => {
    const created = await api("POST", "/containers", { json: { handle: "netout", image: {}, limits: {} } });
    expect(created.status, created.text).toBe(200);
    const rule = {
      protocol: 1,
      networks: [{ start: "10.0.0.1", end: "10.0.0.2" }],
      ports: [{ start: 80, end: 80 }],
    };
    expect((await api("POST", "/containers/netout/net/out", { json: rule })).text).toBe("{}\n");
    expect(
      (await api("POST", "/containers/netout/net/out/bulk", { json: [rule, { protocol: 2 }] })).text,
    ).toBe("{}\n");
    const bad = await api("POST", "/containers/netout/net/out", { json: { protocol: 9 } });
    expect(bad.status).toBe(500);
    expect(bad.json()).toMatchObject({ Type: "", Message: expect.stringMatching(/protocol/) });
  });

  it("keeps NetIn mappings and properties across a restart of server and runtime", async () => {
    const created = await api("POST", "/containers", {
      json: {
        handle: "keeper",
        image: {},
        limits: {},
        properties: { kept: "yes" },
        netin: [{ container_port: 9090 }],
      },
    });
    expect(created.status, created.text).toBe(200);
    await api("POST", "/containers/keeper/net/in", { json: { host_port: 0, container_port: 9191 } });
    const before = (await api("GET", "/containers/keeper/info")).json<Record<string, unknown>>();
    expect(before.MappedPorts).toHaveLength(2);

    await stack.restart();

    const after = (await api("GET", "/containers/keeper/info")).json<Record<string, unknown>>();
    expect(after.MappedPorts).toEqual(before.MappedPorts);
    expect(after.ContainerIP).toBe(before.ContainerIP);
    expect(after.Properties).toMatchObject({ kept: "yes" });
  });

  it("gives a container the subnet or address it asks for anywhere in the pool, and names the pool when outside", async () => {
    const probe = await api("POST", "/containers", { json: { handle: "probe", image: {}, limits: {} } });
    expect(probe.status, probe.text).toBe(200);
    // the gateway is the pool's first address; the harness's pools are /22s
    const hostIP = (await api("GET", "/containers/probe/info")).json<{ HostIP: string }>().HostIP;
    const [a, b, c] = hostIP.split(".").map(Number) as [number, number, number];
    const pool = `${a}.${b}.${c}.0/22`;

    const ranged = await api("POST", "/containers", {
      json: { handle: "ranged", image: {}, limits: {}, network: `${a}.${b}.${c + 3}.248/30` },
    });
    expect(ranged.status, ranged.text).toBe(200);
    const rangedIP = (await api("GET", "/containers/ranged/info")).json<{ ContainerIP: string }>()
      .ContainerIP;
    expect([`${a}.${b}.${c + 3}.249`, `${a}.${b}.${c + 3}.250`]).toContain(rangedIP);

    const exact = await api("POST", "/containers", {
      json: { handle: "exact", image: {}, limits: {}, network: `${a}.${b}.${c + 2}.77/22` },
    });
    expect(exact.status, exact.text).toBe(200);
    const exactIP = (await api("GET", "/containers/exact/info")).json<{ ContainerIP: string }>().ContainerIP;
    expect(exactIP).toBe(`${a}.${b}.${c + 2}.77`);

    const outside = await api("POST", "/containers", {
      json: { handle: "outside", image: {}, limits: {}, network: `${a}.${b}.${c + 4}.0/30` },
    });
    expect(outside.status).toBe(500);
    expect(outside.json<{ Message: string }>().Message).toContain(pool);
    const listed = (await api("GET", "/containers", { query: { "garden.state": "all" } })).json<{
      Handles: string[];
    }>();
    expect(listed.Handles).not.toContain("outside");
  });

  it("answers a NetIn port from the cell itself, on its external and its loopback address", async () => {
    const host = stack.host;
    if (!host) throw new Error("stack has no cell host");
    const created = await api("POST", "/containers", { json: { handle: "selfnet", image: {}, limits: {} } });
    expect(created.status, created.text).toBe(200);
    const mapping = (
      await api("POST", "/containers/selfnet/net/in", { json: { host_port: 0, container_port: 7171 } })
    ).json<{ host_port: number }>();
    const server = await run(stack.address, "selfnet", {
      path: "sh",
      args: ["-c", "while true; do echo pong | nc -l -p 7171; done"],
    });
    try {
      for (const address of ["127.0.0.1", host.address]) {
        await eventually(
          async () => {
            const script = `busybox nc -w 2 ${address} ${mapping.host_port} </dev/null`;
            const stdout = await host.exec("sh", ["-c", script]).then(
              (result) => String(result.stdout),
              () => "",
            );
            return stdout.includes("pong");
          },
          15_000,
          `a reply through ${address}:${mapping.host_port}`,
        );
      }
    } finally {
      server.signal(1);
      await server.exit.catch(() => {});
    }
  }, 60_000);
});
