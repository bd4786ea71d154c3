import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { expectStatus, startTestApi, type TestApi, webApp } from "./harness";
import { hollowExecs, startedExec } from "./hollow-execs";

/** A tenant `acme` with spaces dev and prod, its admin, and a developer token named `alice`. */
async function acmeWithAlice(t: TestApi) {
  const admin = await t.tenantWithToken("acme", "tenant_admin");
  for (const name of ["dev", "prod"]) {
    await expectStatus(await t.call("/v1/spaces", { method: "POST", token: admin, json: { name } }), 201);
  }
  const alice = (await expectStatus(
    await t.call("/v1/tokens", {
      method: "POST",
      token: admin,
      json: { role: "developer", tenant: "acme", name: "alice" },
    }),
    201,
  )) as { id: string; token: string };
  const setRole = (space: string, token: string, role: string, caller = admin) =>
    t.call(`/v1/spaces/${space}/roles/${token}`, { method: "PUT", token: caller, json: { role } });
  return { admin, alice, setRole };
}

const names = (body: unknown) => (body as { items: { name: string }[] }).items.map((item) => item.name);

describeWith(["root", "postgres", "nats"], "space roles", () => {
  it("a developer acts where it is developer, reads where it is viewer and sees nothing elsewhere", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { admin, alice, setRole } = await acmeWithAlice(t);
    const as = alice.token;
    // no role anywhere: nothing to see, nothing to do
    expect(names(await expectStatus(await t.call("/v1/spaces", { token: as }), 200))).toEqual([]);
    await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: as, json: webApp("web", { space: "dev" }) }),
      404,
    );

    expect(await expectStatus(await setRole("dev", "alice", "developer"), 200)).toMatchObject({
      token_id: alice.id,
      token_name: "alice",
      role: "developer",
    });
    await expectStatus(await setRole("prod", alice.id, "viewer"), 200);
    expect(names(await expectStatus(await t.call("/v1/spaces", { token: as }), 200))).toEqual([
      "dev",
      "prod",
    ]);

    await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: as, json: webApp("web", { space: "dev" }) }),
      201,
    );
    await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: admin, json: webApp("api", { space: "prod" }) }),
      201,
    );
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: admin, json: webApp("db") }), 201);
    // the viewer role reads prod and changes nothing there
    await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: as, json: webApp("x", { space: "prod" }) }),
      403,
    );
    await expectStatus(await t.call("/v1/apps/api", { token: as }), 200);
    await expectStatus(await t.call("/v1/apps/api/events", { token: as }), 200);
    await expectStatus(
      await t.call("/v1/apps/api", { method: "PATCH", token: as, json: { instances: 2 } }),
      403,
    );
    await expectStatus(await t.call("/v1/apps/api/stop", { method: "POST", token: as }), 403);
    await expectStatus(await t.call("/v1/apps/api", { method: "DELETE", token: as }), 403);
    // default: no role, so its app is not there
    await expectStatus(await t.call("/v1/apps/db", { token: as }), 404);
    expect(names(await expectStatus(await t.call("/v1/apps", { token: as }), 200))).toEqual(["api", "web"]);
    await expectStatus(await t.call("/v1/spaces/default/quota", { token: as }), 404);
    await expectStatus(await t.call("/v1/spaces/prod/quota", { token: as }), 200);
    // roles are the tenant admin's to give
    await expectStatus(await setRole("prod", "alice", "developer", as), 403);
    await expectStatus(
      await t.call("/v1/spaces/dev/quota", { method: "PATCH", token: as, json: { memory_mb: 1 } }),
      403,
    );
    const roles = (await expectStatus(await t.call("/v1/spaces/prod/roles", { token: as }), 200)) as {
      items: unknown[];
    };
    expect(roles.items).toMatchObject([{ token_name: "alice", role: "viewer" }]);

    // taking the role away takes effect on the next request
    await expectStatus(await t.call("/v1/spaces/prod/roles/alice", { method: "DELETE", token: admin }), 204);
    await expectStatus(await t.call("/v1/apps/api", { token: as }), 404);
    await expectStatus(await t.call("/v1/spaces/prod/roles/alice", { method: "DELETE", token: admin }), 404);
    expect(names(await expectStatus(await t.call("/v1/spaces", { token: as }), 200))).toEqual(["dev"]);
  });

  it("grants only to the tenant's developer tokens, by a name that names one token", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const { admin, setRole } = await acmeWithAlice(t);
    const other = await t.tenantWithToken("globex", "tenant_admin");
    await expectStatus(await setRole("dev", "nobody", "developer"), 404);
    await expectStatus(await setRole("nope", "alice", "developer"), 404);
    await expectStatus(await setRole("dev", "alice", "owner"), 400);
    // another tenant's admin finds neither the space's tokens nor gives roles in acme
    await expectStatus(await setRole("dev", "alice", "developer", other), 404);
    const adminToken = (await expectStatus(
      await t.call("/v1/tokens", {
        method: "POST",
        token: admin,
        json: { role: "tenant_admin", tenant: "acme", name: "boss" },
      }),
      201,
    )) as { id: string };
    await expectStatus(await setRole("dev", adminToken.id, "viewer"), 400);
    await expectStatus(
      await t.call("/v1/tokens", {
        method: "POST",
        token: admin,
        json: { role: "developer", tenant: "acme", name: "alice" },
      }),
      201,
    );
    await expectStatus(await setRole("dev", "alice", "developer"), 409);
  });

  it("keeps app names unique per space: the same name in two spaces is told apart by space", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { admin, setRole } = await acmeWithAlice(t);
    const create = (space: string, instances: number) =>
      t.call("/v1/apps", { method: "POST", token: admin, json: webApp("web", { space, instances }) });
    await expectStatus(await create("dev", 1), 201);
    await expectStatus(await create("dev", 1), 409);
    const prod = await create("prod", 2);
    expect(prod.headers.get("location")).toBe("/v1/apps/web?space=prod");
    await expectStatus(prod, 201);

    const ambiguous = (await expectStatus(await t.call("/v1/apps/web", { token: admin }), 400)) as {
      detail: string;
    };
    expect(ambiguous.detail).toBe("app web is in spaces dev, prod: name one with space");
    expect(await expectStatus(await t.call("/v1/apps/web?space=prod", { token: admin }), 200)).toMatchObject({
      space: "prod",
      instances: 2,
    });
    await expectStatus(
      await t.call("/v1/apps/web?space=dev", { method: "PATCH", token: admin, json: { instances: 3 } }),
      200,
    );
    expect(await expectStatus(await t.call("/v1/apps/web?space=prod", { token: admin }), 200)).toMatchObject({
      instances: 2,
    });
    // a developer token that sees only dev needs no space to name its web
    const bob = (await expectStatus(
      await t.call("/v1/tokens", {
        method: "POST",
        token: admin,
        json: { role: "developer", tenant: "acme", name: "bob" },
      }),
      201,
    )) as { token: string };
    await expectStatus(await setRole("dev", "bob", "viewer"), 200);
    expect(await expectStatus(await t.call("/v1/apps/web", { token: bob.token }), 200)).toMatchObject({
      space: "dev",
      instances: 3,
    });
    await expectStatus(await t.call("/v1/apps/web?space=prod", { token: bob.token }), 404);
    await expectStatus(await t.call("/v1/apps/web?space=dev", { method: "DELETE", token: admin }), 204);
    expect(await expectStatus(await t.call("/v1/apps/web", { token: admin }), 200)).toMatchObject({
      space: "prod",
    });
  });

  it("a viewer reads apps without env and reads logs but cannot exec; an exec answers only its token", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    // app web in acme's default space, its instance running; `acme` is a developer there
    const s = await hollowExecs(t);
    await s.cell.report(s.start, "RUNNING");
    const tokenOf = async (name: string, role?: string) => {
      const made = (await expectStatus(
        await t.call("/v1/tokens", { method: "POST", json: { role: "developer", tenant: "acme", name } }),
        201,
      )) as { token: string };
      if (role) {
        const grant = { method: "PUT", json: { role }, headers: { "x-grove-tenant": "acme" } };
        await expectStatus(await t.call(`/v1/spaces/default/roles/${name}`, grant), 200);
      }
      return made.token;
    };
    const viewer = await tokenOf("carol", "viewer");
    const developer = await tokenOf("dave", "developer");
    const outsider = await tokenOf("bob");
    // started before the env change, which replaces the instance
    const started = await startedExec(t, s.acme, { command: ["sh"] });

    const changed = await t.call("/v1/apps/web", {
      method: "PATCH",
      token: s.acme,
      json: { env: { DB: "s3cret" } },
    });
    expect(await expectStatus(changed, 200)).toMatchObject({ env: { DB: "s3cret" } });
    expect(await expectStatus(await t.call("/v1/apps/web", { token: developer }), 200)).toMatchObject({
      env: { DB: "s3cret" },
    });
    // the viewer sees the app (and its image's credentials nobody sees) but not its env
    const seen = await expectStatus(await t.call("/v1/apps/web", { token: viewer }), 200);
    expect(seen).toMatchObject({ name: "web", space: "default" });
    expect(seen).not.toHaveProperty("env");
    const listed = (await expectStatus(await t.call("/v1/apps", { token: viewer }), 200)) as {
      items: object[];
    };
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).not.toHaveProperty("env");
    expect(JSON.stringify([seen, listed])).not.toContain("s3cret");
    // logs are the viewer's to read; exec and changes are not
    const logs = await t.call("/v1/apps/web/logs?lines=0", { token: viewer });
    expect(logs.status).toBe(200);
    await logs.body?.cancel();
    const exec = (token: string) =>
      t.call("/v1/apps/web/instances/0/exec", { method: "POST", token, json: { command: ["env"] } });
    await expectStatus(await exec(viewer), 403);
    await expectStatus(await exec(outsider), 404);
    await expectStatus(
      await t.call("/v1/apps/web", { method: "PATCH", token: viewer, json: { env: { DB: "mine" } } }),
      403,
    );

    // an exec answers only the token that started it: same tenant, even same space, is 404
    const signal = (token: string) =>
      t.call(`/v1/execs/${started.exec_id}/signal`, { method: "POST", token, json: { signal: "interrupt" } });
    for (const other of [outsider, developer, viewer]) {
      await expectStatus(await signal(other), 404);
      await expectStatus(await t.call(`/v1/execs/${started.exec_id}/output`, { token: other }), 404);
    }
    expect(s.controls).toEqual([]);
    expect((await signal(s.acme)).status).toBe(204);
    expect(s.controls.map((c) => c.action)).toEqual([{ type: "signal", signal: "interrupt" }]);
    s.stop();
  });
});
