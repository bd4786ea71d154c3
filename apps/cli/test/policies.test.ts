import type { Policy } from "@grove/client";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { grove, OPERATOR, operatorSession } from "./harness";

describeWith(["root", "postgres", "nats"], "grove policies", () => {
  it("adds, lists and removes policies between a tenant's apps; bad input is one line and exit 1", async ({
    pg,
    nats,
  }) => {
    const { api, config } = await operatorSession(pg, nats, ["acme"]);
    const env = { GROVE_TENANT: "acme" };
    for (const name of ["web", "api"]) {
      const res = await fetch(`${api.url}/v1/apps`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${OPERATOR}`,
          "x-grove-tenant": "acme",
          "content-type": "application/json",
        },
        body: JSON.stringify({ name, command: "httpd -f -p 8080" }),
      });
      expect(res.status).toBe(201);
    }

    const added = await grove(["policies", "add", "web", "api", "--port", "8080-8090"], { config, env });
    expect(added.exitCode).toBe(0);
    expect(added.stdout).toMatch(/^allowed web → api tcp:8080-8090 \([0-9a-f-]{36}\)\n$/);
    const udp = await grove(
      ["policies", "add", "api", "web", "--port", "53", "--protocol", "udp", "--json"],
      {
        config,
        env,
      },
    );
    expect(udp.json<Policy>()).toMatchObject({ protocol: "udp", ports: { start: 53, end: 53 } });
    const listed = await grove(["policies", "list"], { config, env });
    expect(listed.stdout.split("\n")[0]).toMatch(/^SOURCE\s+DESTINATION\s+PROTOCOL\s+PORTS\s+ID$/);
    expect(listed.stdout).toContain("acme/web");
    expect(listed.stdout).toMatch(/acme\/api\s+acme\/web\s+udp\s+53\s/);

    for (const [args, message] of [
      [["policies", "add", "web", "api", "--port", "90-80"], /--port "90-80": want a port/],
      [["policies", "add", "web", "api", "--port", "80", "--protocol", "icmp"], /--protocol "icmp"/],
      [["policies", "add", "web", "nope", "--port", "80"], /no app nope/],
      [["policies", "remove", "web", "nope"], /no policy from web to nope matches/],
    ] as const) {
      const run = await grove([...args], { config, env });
      expect(run.exitCode).toBe(1);
      expect(run.errorLines).toHaveLength(1);
      expect(run.errorLines[0]).toMatch(message);
    }

    const removed = await grove(["policies", "remove", "web", "api", "--port", "8080-8090"], { config, env });
    expect(removed.stdout).toMatch(/^removed web → api tcp:8080-8090 /);
    await grove(["policies", "rm", udp.json<Policy>().id], { config, env });
    expect((await grove(["policies", "list", "--json"], { config, env })).json<Policy[]>()).toEqual([]);
  });
});
