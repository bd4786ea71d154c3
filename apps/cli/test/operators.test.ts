import type { Cell, JoinToken, Tenant, Token } from "@grove/client";
import { describeWith, it } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { joinHollowCell } from "../../api/test/hollow-cell";
import { configHome, grove, OPERATOR, serveApi } from "./harness";

describeWith(["root", "postgres", "nats"], "grove tenants, tokens and cells (operators)", () => {
  it("creates and lists tenants, and issues a developer token that works in its tenant", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    const config = await configHome();
    await grove(["login", "--api", api.url, "--token", OPERATOR], { config });
    const created = await grove(["tenants", "create", "acme", "--json"], { config });
    expect(created.json<Tenant>()).toMatchObject({ name: "acme" });
    expect((await grove(["tenants", "create", "globex"], { config })).stdout).toBe("created tenant globex\n");
    const list = await grove(["tenants", "list", "--json"], { config });
    expect(list.json<Tenant[]>().map((t) => t.name)).toEqual(["acme", "globex"]);
    const issued = await grove(["tokens", "create", "--tenant", "acme", "--name", "ci", "--json"], {
      config,
    });
    const token = issued.json<Token>();
    expect(token).toMatchObject({ role: "developer", tenant: "acme", name: "ci" });
    const plain = await grove(["tokens", "create", "--tenant", "acme"], { config });
    expect(plain.stdout).toMatch(/^grove_\S+\n$/);
    const devConfig = await configHome();
    const login = await grove(["login", "--api", api.url, "--token", token.token], { config: devConfig });
    expect(login.stdout).toBe(`logged in to ${api.url} as tenant member\n`);
    const missingTenant = await grove(["tokens", "create"], { config });
    expect(missingTenant.errorLines).toEqual([
      "grove: a developer token needs --tenant (or grove target TENANT)",
    ]);
  });

  it("makes join tokens a cell joins with, then lists, shows, drains and undrains the cell", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    const config = await configHome();
    await grove(["login", "--api", api.url, "--token", OPERATOR], { config });
    const issued = await grove(["cells", "token", "--ttl", "600", "--json"], { config });
    const join = issued.json<JoinToken>();
    expect(join.token).toMatch(/^grovejoin_/);
    const cell = await joinHollowCell(api.nc, join.token, "hollow-ops");
    onTestFinished(() => cell.stop());
    cell.heartbeat();
    const list = await grove(["cells", "list", "--json"], { config });
    expect(list.json<Cell[]>()).toMatchObject([{ name: "hollow-ops", id: cell.cellId, state: "active" }]);
    const table = await grove(["cells", "list"], { config });
    expect(table.stdout).toMatch(/^hollow-ops\s+\S+\s+active\s+z1\s+127\.0\.0\.1/m);
    const byName = await grove(["cells", "show", "hollow-ops", "--json"], { config });
    expect(byName.json<Cell>().id).toBe(cell.cellId);
    const byId = await grove(["cells", "show", cell.cellId], { config });
    expect(byId.stdout).toMatch(/^name:\s+hollow-ops$/m);
    const drained = await grove(["cells", "drain", "hollow-ops"], { config });
    expect(drained.stdout).toBe(`draining hollow-ops (${cell.cellId})\n`);
    const after = await grove(["cells", "show", "hollow-ops", "--json"], { config });
    expect(after.json<Cell>().state).toBe("draining");
    const undrained = await grove(["cells", "undrain", "hollow-ops"], { config });
    expect(undrained.stdout).toBe(`hollow-ops (${cell.cellId}) is active\n`);
    const again = await grove(["cells", "undrain", cell.cellId, "--json"], { config });
    expect(again.json<Cell>()).toMatchObject({ id: cell.cellId, state: "active" });
    const unknownUndrain = await grove(["cells", "undrain", "nope"], { config });
    expect(unknownUndrain.errorLines).toEqual(["grove: no cell nope"]);
    expect(unknownUndrain.exitCode).toBe(1);
    const unknown = await grove(["cells", "show", "nope"], { config });
    expect(unknown.errorLines).toEqual(["grove: no cell nope"]);
    expect(unknown.exitCode).toBe(1);
  });
});
