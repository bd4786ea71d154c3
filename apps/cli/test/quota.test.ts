import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App, Quota, Space } from "@grove/client";
import { describeWith, it } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { configHome, grove, OPERATOR, serveApi } from "./harness";

describeWith(["root", "postgres", "nats"], "grove quota", () => {
  it("operators set a tenant's quota; a scale past it fails with one line; grove quota shows usage", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    const ops = await configHome();
    await grove(["login", "--api", api.url, "--token", OPERATOR], { config: ops });
    const dev = await configHome();
    await grove(["login", "--api", api.url, "--token", await api.developerIn("acme")], { config: dev });

    const set = await grove(["quota", "set", "acme", "--memory", "1G", "--instances", "3", "--routes", "4"], {
      config: ops,
    });
    expect(set.exitCode).toBe(0);
    expect(set.stdout).toMatch(/^memory\s+0\s+1G$/m);
    const lifted = await grove(["quota", "set", "acme", "--routes", "unlimited", "--json"], { config: ops });
    expect(lifted.json<Quota>()).toMatchObject({ routes: { limit: null }, memory_mb: { limit: 1024 } });

    await api.operator("acme").createApp({ name: "web", command: "httpd -f -p 8080", memory_mb: 256 });
    const refused = await grove(["scale", "web", "-i", "5"], { config: dev });
    expect(refused.exitCode).toBe(1);
    expect(refused.errorLines).toEqual([
      "grove: the tenant's instances quota is 3 instances: 1 in use, this asks for 4 more (422 Quota exceeded)",
    ]);
    expect((await grove(["scale", "web", "-i", "3"], { config: dev })).exitCode).toBe(0);

    const shown = await grove(["quota"], { config: dev });
    expect(shown.stdout).toMatch(/^QUOTA\s+USED\s+LIMIT$/m);
    expect(shown.stdout).toMatch(/^memory\s+768M\s+1G$/m);
    expect(shown.stdout).toMatch(/^instances\s+3\s+3$/m);
    expect(shown.stdout).toMatch(/^apps\s+1\s+unlimited$/m);
    expect(shown.stdout).toMatch(/^routes\s+1\s+unlimited$/m);
    const asOperator = await grove(["quota", "--tenant", "acme", "--json"], { config: ops });
    expect(asOperator.json<Quota>()).toMatchObject({ tenant: "acme", instances: { limit: 3, usage: 3 } });

    const bad = await grove(["quota", "set", "acme", "--memory", "lots"], { config: ops });
    expect(bad.errorLines).toEqual(['grove: invalid --memory "lots": use a size like 256M or 1G']);
    const notOperator = await grove(["quota", "set", "acme", "--apps", "9"], { config: dev });
    expect(notOperator.exitCode).toBe(1);
    expect(notOperator.errorLines).toEqual(["grove: this needs an operator token (403 Forbidden)"]);
  }, 180_000);

  it("a tenant admin makes spaces with quotas; a developer pushes to one and scales past its quota", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    await api.operator().createTenant("acme");
    const admin = await configHome();
    const adminToken = (await api.operator().createToken({ role: "tenant_admin", tenant: "acme" })).token;
    await grove(["login", "--api", api.url, "--token", adminToken], { config: admin });
    expect((await grove(["spaces", "create", "dev"], { config: admin })).stdout).toBe("created space dev\n");
    const setSpace = await grove(["quota", "set", "--space", "dev", "--memory", "512M", "--json"], {
      config: admin,
    });
    expect(setSpace.json<Quota>()).toMatchObject({ space: "dev", memory_mb: { limit: 512, usage: 0 } });
    const spaces = await grove(["spaces", "list", "--json"], { config: admin });
    expect(spaces.json<Space[]>().map((s) => s.name)).toEqual(["default", "dev"]);

    const dev = await configHome();
    const made = await api.operator().createToken({ role: "developer", tenant: "acme" });
    await api.operator("acme").setSpaceRole("dev", made.id, "developer");
    const devToken = made.token;
    await grove(["login", "--api", api.url, "--token", devToken], { config: dev });
    const dir = await mkdtemp(join(tmpdir(), "grove-quota-test-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "index.html"), "hi");
    const push = [
      "push",
      dir,
      "--name",
      "web",
      "--space",
      "dev",
      "-m",
      "256M",
      "--command",
      "httpd -f -p $PORT",
    ];
    expect((await grove([...push, "--detach"], { config: dev })).exitCode).toBe(0);
    const refused = await grove(["scale", "web", "-i", "3"], { config: dev });
    expect(refused.exitCode).toBe(1);
    expect(refused.errorLines).toEqual([
      "grove: space dev's memory_mb quota is 512 MB: 256 in use, this asks for 512 more (422 Quota exceeded)",
    ]);
    await grove(["quota", "set", "--space", "dev", "--memory", "1G"], { config: admin });
    expect((await grove(["scale", "web", "-i", "3"], { config: dev })).exitCode).toBe(0);
    const listed = await grove(["apps", "list", "--space", "dev", "--json"], { config: dev });
    expect(listed.json<App[]>()).toMatchObject([{ name: "web", space: "dev", instances: 3 }]);
    const shown = await grove(["quota", "--space", "dev"], { config: dev });
    expect(shown.stdout).toMatch(/^memory\s+768M\s+1G$/m);
  }, 180_000);
});
