import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeWith, freePort, it } from "@grove/testkit";
import { expect } from "vitest";
import { configHome, grove, OPERATOR, serveApi } from "./harness";

describeWith(["root", "postgres", "nats"], "grove login and settings", () => {
  it("login checks the token, then stores api, token and tenant in a 0600 file", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    await api.operator().createTenant("acme");
    const config = await configHome();
    const run = await grove(["login", "--api", api.url, "--token", OPERATOR, "--tenant", "acme"], { config });
    expect(run.errorLines).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(`logged in to ${api.url} as operator, tenant acme\n`);
    const file = join(config, "grove", "config.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({
      api: api.url,
      token: OPERATOR,
      tenant: "acme",
    });
    // later commands use what login stored
    const target = await grove(["target", "--json"], { config });
    expect(target.json()).toMatchObject({ api: api.url, tenant: "acme", logged_in: true });
  });

  it("login reads the token from stdin and knows a tenant member's token", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const dev = await api.developerIn("acme");
    const config = await configHome();
    const run = await grove(["login", "--api", api.url, "--json"], { config, input: `${dev}\n` });
    expect(run.exitCode).toBe(0);
    expect(run.json()).toMatchObject({ api: api.url, role: "tenant member", tenant: null });
    expect(JSON.parse(await readFile(join(config, "grove", "config.json"), "utf8")).token).toBe(dev);
  });

  it("login with an unknown token prints one line, exits 1 and stores nothing", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const config = await configHome();
    const run = await grove(["login", "--api", api.url, "--token", "grove_not-a-real-token"], { config });
    expect(run.exitCode).toBe(1);
    expect(run.errorLines).toEqual([`grove: the API at ${api.url} rejected the token (unknown token)`]);
    expect(run.stdout).toBe("");
    await expect(stat(join(config, "grove", "config.json"))).rejects.toThrow(/ENOENT/);
  });

  it("takes each setting from the flag, else the environment, else the file", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const dev = await api.developerIn("acme");
    const config = await configHome();
    await grove(["login", "--api", api.url, "--token", dev], { config });
    const dead = `http://127.0.0.1:${await freePort()}`;

    expect((await grove(["apps", "list"], { config })).exitCode).toBe(0);
    // env beats file
    const envToken = await grove(["apps", "list"], { config, env: { GROVE_TOKEN: "grove_wrong" } });
    expect(envToken.exitCode).toBe(1);
    expect(envToken.errorLines).toEqual(["grove: unknown token (401 Unauthorized); run grove login"]);
    const envApi = await grove(["apps", "list"], { config, env: { GROVE_API: dead } });
    expect(envApi.errorLines).toHaveLength(1);
    expect(envApi.errorLines[0]).toMatch(
      new RegExp(`^grove: cannot reach the API at ${dead}: .*ECONNREFUSED`),
    );
    expect(envApi.exitCode).toBe(1);
    // flag beats env
    const flags = await grove(["apps", "list", "--api", api.url, "--token", dev], {
      config,
      env: { GROVE_API: dead, GROVE_TOKEN: "grove_wrong" },
    });
    expect(flags.errorLines).toEqual(["no apps yet: grove push DIR --name NAME"]);
    expect(flags.exitCode).toBe(0);
  });

  it("target sets the tenant an operator acts in, refusing unknown tenants", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    await api.operator().createTenant("acme");
    await api.operator("acme").createApp({ name: "web", command: "httpd -f -p 8080" });
    const config = await configHome();
    await grove(["login", "--api", api.url, "--token", OPERATOR], { config });
    const unknown = await grove(["target", "nope"], { config });
    expect(unknown.errorLines).toEqual(["grove: no tenant nope (404 Not found)"]);
    expect(unknown.exitCode).toBe(1);
    expect((await grove(["target", "acme"], { config })).exitCode).toBe(0);
    const list = await grove(["apps", "list", "--json"], { config });
    expect(list.json<{ name: string }[]>().map((a) => a.name)).toEqual(["web"]);
  });

  it("reports a config file that is not JSON in one line", async () => {
    const config = await configHome();
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(config, "grove"));
    await writeFile(join(config, "grove", "config.json"), "{oops");
    const run = await grove(["apps", "list"], { config });
    expect(run.errorLines).toEqual([
      `grove: ${join(config, "grove", "config.json")} is not valid JSON: fix it or run grove login again`,
    ]);
    expect(run.exitCode).toBe(1);
  });
});
