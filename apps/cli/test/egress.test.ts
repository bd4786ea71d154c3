import type { EgressRule } from "@grove/client";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { grove, operatorSession } from "./harness";

describeWith(["root", "postgres", "nats"], "grove egress", () => {
  it("adds, lists and removes a tenant's egress rules and the platform default; bad input is one line and exit 1", async ({
    pg,
    nats,
  }) => {
    const { config } = await operatorSession(pg, nats, ["acme"]);
    const env = { GROVE_TENANT: "acme" };

    const added = await grove(["egress", "add", "192.0.2.0/24", "--port", "443"], { config, env });
    expect(added.exitCode).toBe(0);
    expect(added.stdout).toMatch(/^allowed containers → 192\.0\.2\.0\/24 tcp:443 \([0-9a-f-]{36}\)\n$/);
    const platform = await grove(
      ["egress", "add", "0.0.0.0/0", "--protocol", "udp", "--port", "123", "--platform", "--json"],
      {
        config,
      },
    );
    expect(platform.json<EgressRule>()).toMatchObject({ scope: "platform", protocol: "udp" });

    const listed = await grove(["egress", "list"], { config, env });
    expect(listed.stdout.split("\n")[0]).toMatch(/^APPLIES TO\s+DESTINATION\s+PROTOCOL\s+PORTS\s+ID$/);
    expect(listed.stdout).toMatch(/acme\s+192\.0\.2\.0\/24\s+tcp\s+443\s/);
    expect(listed.stdout).toMatch(/platform\s+0\.0\.0\.0\/0\s+udp\s+123\s/);

    for (const [args, message] of [
      [["egress", "add", "10.0.0.0/8", "--protocol", "sctp"], /--protocol "sctp"/],
      [
        ["egress", "add", "10.0.0.0/8", "--protocol", "icmp", "--port", "1"],
        /--port needs --protocol tcp or udp/,
      ],
      [["egress", "add", "10.0.0.0/33"], /IPv4 network/],
      [["egress", "add", "10.0.0.0/8", "--control-plane"], /--control-plane needs --platform/],
    ] as const) {
      const run = await grove([...args], { config, env });
      expect(run.exitCode).toBe(1);
      expect(run.errorLines).toHaveLength(1);
      expect(run.errorLines[0]).toMatch(message);
    }

    for (const rule of (await grove(["egress", "list", "--json"], { config, env })).json<EgressRule[]>()) {
      const scoped = rule.scope === "platform" ? {} : env;
      expect((await grove(["egress", "rm", rule.id], { config, env: scoped })).exitCode).toBe(0);
    }
    expect((await grove(["egress", "list", "--json"], { config, env })).json<EgressRule[]>()).toEqual([]);
  });
});
