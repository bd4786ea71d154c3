import { createServer } from "node:net";
import { HealthCheck } from "@grove/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { waitHealthy } from "./health-check";

describe("waitHealthy", () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it("probes again soon after a first failed probe, not a whole start interval later", async () => {
    // a free port, closed again: the first probe is refused
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    // a start interval longer than the test's timeout: only the quicker first probes can see it listen
    const check = HealthCheck.parse({ type: "port", startIntervalMs: 600_000, startTimeoutMs: 600_000 });
    const healthy = waitHealthy(check, "127.0.0.1", port, () => false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const server = createServer((socket) => socket.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    expect(await healthy).toBe(true);
  }, 60_000);
});
