import { join } from "node:path";
import type { Quota, SpaceRole, Token } from "@grove/client";
import { describeWith } from "@grove/testkit";
import { makeTempDir } from "@grove/testkit/services";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type SingleNode, startSingleNode } from "../../../infra/single-node-process";
import { until, viaRouter } from "./single-node-tools";

const root = join(import.meta.dirname, "../../..");

interface Shown {
  instances: { state: string }[];
}

/** `grove` as one person: their own config directory (so their own login) on the node. */
function person(node: SingleNode, config: string) {
  return async (args: string[]) => {
    const run = await execa(process.execPath, [join(root, "apps/cli/bin/grove.js"), ...args], {
      env: { ...process.env, ...node.env, XDG_CONFIG_HOME: config },
      reject: false,
    });
    const stderr = String(run.stderr);
    return {
      exitCode: run.exitCode ?? -1,
      stdout: String(run.stdout),
      errorLines: stderr === "" ? [] : stderr.trimEnd().split("\n"),
    };
  };
}

// The README's tenancy tour: operator, tenant admin and developer, each with their own login.
describeWith(["root", "runc", "postgres", "nats", "network"], "the tenancy tour on a single node", () => {
  let node: SingleNode;
  let configs: Awaited<ReturnType<typeof makeTempDir>>;

  beforeAll(async () => {
    node = await startSingleNode();
    configs = await makeTempDir("grove-tenant-tour-");
  }, 300_000);
  afterAll(async () => {
    await node?.stop();
    await configs?.remove();
  }, 180_000);

  it("an operator makes tenant acme; its admin makes spaces and a developer; quotas bind and show", async () => {
    const api = `http://127.0.0.1:${node.apiPort}`;
    const operator = (args: string[]) => person(node, node.env.XDG_CONFIG_HOME as string)(args);
    const admin = person(node, join(configs.path, "admin"));
    const developer = person(node, join(configs.path, "alice"));

    // the operator: a tenant with a quota, and its admin's token
    expect((await operator(["tenants", "create", "acme"])).exitCode).toBe(0);
    const tenantQuota = await operator(["quota", "set", "acme", "--memory", "1G", "--instances", "10"]);
    expect(tenantQuota.stdout).toMatch(/^memory\s+0\s+1G$/m);
    const adminToken = await operator([
      "tokens",
      "create",
      "--role",
      "tenant_admin",
      "--tenant",
      "acme",
      "--name",
      "acme-admin",
      "--json",
    ]);
    expect(
      (await admin(["login", "--api", api, "--token", JSON.parse(adminToken.stdout).token])).exitCode,
    ).toBe(0);

    // the tenant admin: spaces dev and prod with quotas, and a developer token with a role in dev
    for (const space of ["dev", "prod"]) {
      expect((await admin(["spaces", "create", space])).stdout).toBe(`created space ${space}`);
    }
    expect((await admin(["quota", "set", "--space", "dev", "--memory", "128M"])).exitCode).toBe(0);
    expect((await admin(["quota", "set", "--space", "prod", "--memory", "512M"])).exitCode).toBe(0);
    const made = await admin(["tokens", "create", "--tenant", "acme", "--name", "alice", "--json"]);
    const alice = JSON.parse(made.stdout) as Token;
    expect(alice).toMatchObject({ role: "developer", tenant: "acme", name: "alice" });
    expect((await admin(["spaces", "set-role", "dev", "alice", "developer"])).stdout).toBe(
      "alice is developer in space dev",
    );
    const roles = await admin(["spaces", "roles", "dev", "--json"]);
    expect(JSON.parse(roles.stdout) as SpaceRole[]).toMatchObject([
      { token_name: "alice", role: "developer" },
    ]);

    // the developer: pushes to dev; prod is not theirs to see
    expect((await developer(["login", "--api", api, "--token", alice.token])).exitCode).toBe(0);
    const pushed = await developer([
      "push",
      join(root, "examples/hello"),
      "--name",
      "hello",
      "--space",
      "dev",
      "-m",
      "64M",
    ]);
    expect(pushed.exitCode, pushed.errorLines.join("\n")).toBe(0);
    expect(
      await until(
        async () =>
          (await viaRouter(node, "hello.dev.acme.grove.localhost")).status === 200 ? true : undefined,
        120_000,
      ),
    ).toBe(true);
    const prod = await developer(["apps", "list", "--space", "prod"]);
    expect({ exitCode: prod.exitCode, errorLines: prod.errorLines }).toEqual({
      exitCode: 1,
      errorLines: ["grove: no space prod (404 Not found)"],
    });

    // past the space's quota: one clear line, exit 1, nothing changed
    const refused = await developer(["scale", "hello", "-i", "3", "--space", "dev"]);
    expect({ exitCode: refused.exitCode, errorLines: refused.errorLines }).toEqual({
      exitCode: 1,
      errorLines: [
        "grove: space dev's memory_mb quota is 128 MB: 64 in use, this asks for 128 more (422 Quota exceeded)",
      ],
    });

    // the tenant admin raises it; the same scale goes through and runs
    expect((await admin(["quota", "set", "--space", "dev", "--memory", "256M"])).exitCode).toBe(0);
    const scaled = await developer(["scale", "hello", "-i", "3", "--space", "dev"]);
    expect(scaled.exitCode, scaled.errorLines.join("\n")).toBe(0);
    await until(async () => {
      const shown = JSON.parse(
        (await developer(["apps", "show", "hello", "--space", "dev", "--json"])).stdout,
      ) as Shown;
      return shown.instances.filter((i) => i.state === "RUNNING").length === 3 ? true : undefined;
    }, 120_000);

    // grove quota shows the usage beside each limit, for the space and the tenant
    const space = await developer(["quota", "--space", "dev"]);
    expect(space.stdout).toMatch(/^memory\s+192M\s+256M$/m);
    expect(space.stdout).toMatch(/^instances\s+3\s+unlimited$/m);
    const tenant = JSON.parse((await admin(["quota", "--json"])).stdout) as Quota;
    expect(tenant).toMatchObject({
      tenant: "acme",
      memory_mb: { limit: 1024, usage: 192 },
      instances: { limit: 10, usage: 3 },
    });
  }, 400_000);
});
