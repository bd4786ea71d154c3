import { Readable } from "node:stream";
import type { Cell, JoinToken, JoinTokenListing, Tenant, Token, TokenListing } from "@grove/client";
import { describeWith, it } from "@grove/testkit";
import { eventually } from "@grove/testkit/services";
import { expect, onTestFinished } from "vitest";
import { tarOf } from "../../api/test/harness";
import { joinHollowCell } from "../../api/test/hollow-cell";
import { register } from "../../api/test/register-cell";
import { configHome, grove, operatorSession } from "./harness";

describeWith(["root", "postgres", "nats"], "grove tenants, tokens and cells (operators)", () => {
  it("creates and lists tenants, and issues a developer token that works in its tenant", async ({
    pg,
    nats,
  }) => {
    const { api, config } = await operatorSession(pg, nats);
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
    const { api, config } = await operatorSession(pg, nats);
    const issued = await grove(["cells", "token", "--expires-in", "10m", "--json"], { config });
    const join = issued.json<JoinToken>();
    expect(join.token).toMatch(/^grovejoin_/);
    const cell = await joinHollowCell(api.nc, join.token, "hollow-ops");
    onTestFinished(() => cell.stop());
    cell.startHeartbeats(1000); // each CLI run can take seconds on a loaded machine: stay present
    const list = await grove(["cells", "list", "--json"], { config });
    expect(list.json<Cell[]>()).toMatchObject([{ name: "hollow-ops", id: cell.cellId, state: "active" }]);
    const table = await grove(["cells", "list"], { config });
    expect(table.stdout).toMatch(/^hollow-ops\s+\S+\s+active\s+z1\s+127\.0\.0\.1/m);
    const byName = await grove(["cells", "show", "hollow-ops", "--json"], { config });
    expect(byName.json<Cell>().id).toBe(cell.cellId);
    const byId = await grove(["cells", "show", cell.cellId], { config });
    expect(byId.stdout).toMatch(/^name:\s+hollow-ops$/m);
    // the cell holds a volume's data: the drain says it moves. The volume exists (an unknown one
    // would be a stray the leader has the cell remove, racing the drain below)
    await api.operator().createTenant("acme");
    const acme = api.operator("acme");
    await acme.createVolume({ name: "data", size_mb: 64 });
    await acme.createApp({
      name: "db",
      command: "httpd -f -p 8080",
      volumes: [{ name: "data", path: "/data" }],
    });
    const bits = await tarOf({ "index.html": "db" });
    await acme.uploadBits("db", {
      body: Readable.toWeb(Readable.from([bits])) as ReadableStream<Uint8Array>,
    });
    // the start command makes the volume on the cell, whose heartbeats then report it
    await eventually(async () => (cell.volumes.size === 1 ? true : undefined));
    cell.heartbeat();
    await eventually(async () =>
      (await grove(["cells", "show", "hollow-ops", "--json"], { config })).json<Cell>().volumes === 1
        ? true
        : undefined,
    );
    const drained = await grove(["cells", "drain", "hollow-ops"], { config });
    expect(drained.stdout).toBe(`draining hollow-ops (${cell.cellId})\n`);
    expect(drained.errorLines.join("\n")).toMatch(
      /1 volume\(s\) have their data on hollow-ops: their instances stop, the data is copied to another cell and they start there \(down meanwhile; see grove volumes show\)/,
    );
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
  }, 180_000); // some twenty CLI runs, each seconds long on a loaded machine

  it("lists API tokens without secrets and revokes one by name; a tenant admin sees only its tenant's", async ({
    pg,
    nats,
  }) => {
    const { api, config } = await operatorSession(pg, nats, ["acme", "globex"]);
    const admin = (
      await grove(
        ["tokens", "create", "--tenant", "acme", "--role", "tenant_admin", "--name", "boss", "--json"],
        {
          config,
        },
      )
    ).json<Token>();
    await grove(["tokens", "create", "--tenant", "globex", "--name", "other"], { config });
    const adminConfig = await configHome();
    await grove(["login", "--api", api.url, "--token", admin.token], { config: adminConfig });
    const ci = (
      await grove(["tokens", "create", "--tenant", "acme", "--name", "ci", "--expires-in", "30d", "--json"], {
        config: adminConfig,
      })
    ).json<Token>();
    expect(ci).toMatchObject({ tenant: "acme", role: "developer", name: "ci" });
    expect(Date.parse(ci.expires_at ?? "") - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const listed = (await grove(["tokens", "list", "--json"], { config: adminConfig })).json<
      TokenListing[]
    >();
    expect(listed.map((token) => token.name)).toEqual(["boss", "ci"]);
    const table = await grove(["tokens", "list"], { config: adminConfig });
    expect(table.stdout).toMatch(/^NAME\s+ID\s+ROLE\s+TENANT\s+CREATED\s+EXPIRES\s+LAST USED$/m);
    expect(table.stdout).toMatch(/^ci\s+\S+\s+developer\s+acme\s+\d+s ago\s+in 29d\s+never$/m);
    expect(table.stdout).not.toContain(ci.token);
    const all = (await grove(["tokens", "list", "--json"], { config })).json<TokenListing[]>();
    expect(all.map((token) => token.name)).toEqual(["bootstrap", "boss", "other", "ci"]);

    const ciConfig = await configHome();
    await grove(["login", "--api", api.url, "--token", ci.token], { config: ciConfig });
    const revoked = await grove(["tokens", "revoke", "ci"], { config: adminConfig });
    expect(revoked.stdout).toBe(`revoked token ci (${ci.id})\n`);
    const refused = await grove(["apps", "list"], { config: ciConfig });
    expect(refused.errorLines).toEqual(["grove: revoked token (401 Unauthorized); run grove login"]);
    expect(refused.exitCode).toBe(1);
    const otherTenant = await grove(["tokens", "revoke", "other"], { config: adminConfig });
    expect(otherTenant.errorLines).toEqual(["grove: no token other"]);
    expect((await grove(["tokens", "list", "--json"], { config })).json<TokenListing[]>()).toHaveLength(3);
  });

  it("makes a join token for two cells, lists its uses, and revokes it", async ({ pg, nats }) => {
    const { api, config } = await operatorSession(pg, nats);
    const join = (await grove(["cells", "token", "--uses", "2", "--json"], { config })).json<JoinToken>();
    expect(join).toMatchObject({ uses: 0, max_uses: 2, state: "usable" });
    const single = await grove(["cells", "token"], { config });
    expect(single.stderr).toMatch(/joins one cell until /);
    expect(await register(api.nc, join.token, "one")).toMatchObject({ ok: true });

    const listed = (await grove(["cells", "tokens", "list", "--json"], { config })).json<
      JoinTokenListing[]
    >();
    expect(listed.map(({ uses, max_uses }) => ({ uses, max_uses }))).toEqual([
      { uses: 1, max_uses: 2 },
      { uses: 0, max_uses: 1 },
    ]);
    const table = await grove(["cells", "tokens", "list"], { config });
    expect(table.stdout).toMatch(
      new RegExp(`^${join.id}\\s+usable\\s+1/2\\s+\\d+s ago\\s+in (59|60)m$`, "m"),
    );
    expect(table.stdout).not.toContain(join.token);

    const revoked = await grove(["cells", "tokens", "revoke", join.id], { config });
    expect(revoked.stdout).toBe(`revoked join token ${join.id}\n`);
    expect(await register(api.nc, join.token, "two")).toMatchObject({
      ok: false,
      error: "join token revoked",
    });
    const again = await grove(["cells", "tokens", "revoke", join.id], { config });
    expect(again.errorLines).toEqual([`grove: no join token ${join.id} (404 Not found)`]);
    expect(again.exitCode).toBe(1);
  });
});
