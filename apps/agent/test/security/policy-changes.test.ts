import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { eventually, expectStatus, startCluster } from "../cluster-harness";
import { echoServer, getFrom, instanceNetns, openSession } from "./netns-probe";

describeWith(["root", "runc", "postgres", "nats", "network"], "network policy changes on a cell", () => {
  it("a new policy takes effect within 2 s of the API call, and removing it cuts the open connection", async ({
    pg,
    nats,
  }) => {
    const c = await startCluster(pg, nats, { cellCount: 1 });
    const cell = c.cells[0];
    if (!cell) throw new Error("no cell");
    await c.pushWeb("client", 1);
    await c.pushWeb("server", 1);
    const [client] = await c.tenant("default").running("client", 1);
    const [server] = await c.tenant("default").running("server", 1);
    if (!client || !server?.container_ip) throw new Error("no instances");
    const fromClient = await instanceNetns(cell, client.id);
    const echo = await echoServer(await instanceNetns(cell, server.id), 9090);
    try {
      expect(await getFrom(fromClient, server.container_ip, 8080, 800)).toEqual({
        ok: false,
        code: "TIMEOUT",
      });

      const started = performance.now();
      const policy = (await expectStatus(
        await c.tenant("default").call("/v1/policies", {
          method: "POST",
          json: { source: "client", destination: "server", port: 8080, end_port: 9090 },
        }),
        201,
      )) as { id: string };
      await eventually(
        async () =>
          (await getFrom(fromClient, server.container_ip as string, 8080, 200)).ok ? true : undefined,
        10_000,
      );
      const tookMs = performance.now() - started;
      expect(tookMs).toBeLessThan(2_000);

      const session = await openSession(fromClient, server.container_ip, 9090);
      try {
        await session.roundTrip("open");
        await expectStatus(
          await c.tenant("default").call(`/v1/policies/${policy.id}`, { method: "DELETE" }),
          204,
        );
        // the open connection stops passing data (its conntrack entry is cut), within 2 s
        expect(await session.cutWithin()).toBeLessThan(2_000);
        await expect(session.roundTrip("still-cut", 1_000)).rejects.toThrow(/within/);
      } finally {
        await session.close();
      }
    } finally {
      await echo.stop();
    }
  });
});
