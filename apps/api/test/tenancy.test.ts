import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { expectStatus, startTestApi, webApp } from "./harness";

describeWith(["root", "postgres", "nats"], "tenants, tokens and isolation", () => {
  it("lets operators create and list tenants and refuses developers with 403", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/tenants", { method: "POST", json: { name: "globex" } }), 201);
    const page = (await expectStatus(await t.call("/v1/tenants"), 200)) as { items: { name: string }[] };
    expect(page.items.map((x) => x.name)).toEqual(["acme", "globex"]);
    await expectStatus(await t.call("/v1/tenants", { method: "POST", token: dev, json: { name: "x" } }), 403);
    await expectStatus(await t.call("/v1/tenants", { token: dev }), 403);
    await expectStatus(await t.call("/v1/tenants/acme", { token: dev }), 200);
    await expectStatus(await t.call("/v1/tenants/globex", { token: dev }), 404);
  });

  it("gives a tenant's token 404 for another tenant's app and lists only its own", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const acme = await t.tenantWithToken("acme");
    const globex = await t.tenantWithToken("globex");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: acme, json: webApp("web") }), 201);
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: globex, json: webApp("api") }), 201);
    for (const [method, path] of [
      ["GET", "/v1/apps/web"],
      ["PATCH", "/v1/apps/web"],
      ["DELETE", "/v1/apps/web"],
      ["POST", "/v1/apps/web/stop"],
      ["GET", "/v1/apps/web/events"],
    ] as const) {
      const json = method === "PATCH" ? { instances: 0 } : undefined;
      await expectStatus(await t.call(path, { method, token: globex, json }), 404);
    }
    const listed = (await expectStatus(await t.call("/v1/apps", { token: globex }), 200)) as {
      items: { name: string }[];
    };
    expect(listed.items.map((a) => a.name)).toEqual(["api"]);
    // the same name is free in another tenant
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: globex, json: webApp("web") }), 201);
    const acmeWeb = (await expectStatus(await t.call("/v1/apps/web", { token: acme }), 200)) as {
      instances: number;
    };
    expect(acmeWeb.instances).toBe(1);
  });

  it("lets operators act in a tenant named by X-Grove-Tenant, and requires the header", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    const res = await t.call("/v1/apps", {
      method: "POST",
      headers: { "x-grove-tenant": "acme" },
      json: webApp(),
    });
    await expectStatus(res, 201);
    await expectStatus(await t.call("/v1/apps/web", { token: dev }), 200);
    const missing = (await expectStatus(await t.call("/v1/apps"), 400)) as { errors: { field: string }[] };
    expect(missing.errors[0]?.field).toBe("X-Grove-Tenant");
    // the named tenant is looked up beside the token: an unknown one is 404 for an operator, and
    // a tenant member's request acts in its own tenant whatever it names
    await expectStatus(await t.call("/v1/apps/web", { headers: { "x-grove-tenant": "nope" } }), 404);
    for (const named of ["nope", "globex"])
      await expectStatus(
        await t.call("/v1/apps/web", { token: dev, headers: { "x-grove-tenant": named } }),
        200,
      );
    await expectStatus(
      await t.call("/v1/apps/web", { token: "g_unknown", headers: { "x-grove-tenant": "acme" } }),
      401,
    );
  });

  it("lets tenant admins issue tokens only inside their tenant", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    await t.tenantWithToken("globex");
    const issued = (await expectStatus(
      await t.call("/v1/tokens", {
        method: "POST",
        token: admin,
        json: { role: "developer", tenant: "acme" },
      }),
      201,
    )) as { token: string };
    await expectStatus(await t.call("/v1/apps", { token: issued.token }), 200);
    const other = await t.call("/v1/tokens", {
      method: "POST",
      token: admin,
      json: { role: "developer", tenant: "globex" },
    });
    await expectStatus(other, 404);
    await expectStatus(
      await t.call("/v1/tokens", { method: "POST", token: admin, json: { role: "operator" } }),
      403,
    );
    const devCannot = await t.call("/v1/tokens", {
      method: "POST",
      token: issued.token,
      json: { role: "developer", tenant: "acme" },
    });
    await expectStatus(devCannot, 403);
  });

  it("replays the first response to a retried create with the same Idempotency-Key", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    const send = (body: unknown, token = dev) =>
      t.call("/v1/apps", { method: "POST", token, headers: { "idempotency-key": "k-1" }, json: body });
    const first = await send(webApp());
    const firstBody = await expectStatus(first, 201);
    const retry = await send(webApp());
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(await expectStatus(retry, 201)).toEqual(firstBody);
    const events = (await expectStatus(await t.call("/v1/apps/web/events", { token: dev }), 200)) as {
      items: unknown[];
    };
    expect(events.items).toHaveLength(1);
    const changed = (await expectStatus(await send(webApp("other")), 422)) as { type: string };
    expect(changed.type).toBe("urn:grove:problem:idempotency-key-reused");
    // keys are per principal: another principal's k-1 is a new request
    const other = await t.tenantWithToken("globex");
    await expectStatus(await send(webApp(), other), 201);
  });
});
