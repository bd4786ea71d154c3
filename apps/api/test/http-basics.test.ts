import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { expectStatus, startTestApi, webApp } from "./harness";

const PROBLEM = "application/problem+json";

async function problemOf(res: Response, status: number) {
  expect(res.headers.get("content-type")).toContain(PROBLEM);
  const problem = (await expectStatus(res, status)) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:grove:problem:/) });
  expect(problem.title).toEqual(expect.any(String));
  expect(problem.detail).toEqual(expect.any(String));
  expect(problem.request_id).toBe(res.headers.get("x-request-id"));
  return problem;
}

describeWith(["root", "postgres", "nats"], "HTTP basics", () => {
  it("answers 400 problem+json naming the invalid field", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const res = await t.call("/v1/apps", {
      method: "POST",
      headers: { "x-grove-tenant": "nobody" },
      json: { name: "Bad Name!", command: "x" },
    });
    const problem = await problemOf(res, 400);
    expect(problem.errors).toEqual([expect.objectContaining({ field: "name" })]);
    expect(problem.instance).toBe("/v1/apps");
  });

  it("answers 400 problem+json for malformed JSON and 415 for a body that is not JSON", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const malformed = await t.call("/v1/tenants", {
      method: "POST",
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect((await problemOf(malformed, 400)).detail).toMatch(/JSON/i);
    const text = await t.call("/v1/tenants", {
      method: "POST",
      body: "name=x",
      headers: { "content-type": "text/plain" },
    });
    await problemOf(text, 415);
    const rows = await t.call("/v1/tenants");
    expect(((await rows.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("answers 401 problem+json without a token and with an unknown one", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    await problemOf(await t.call("/v1/apps", { token: null }), 401);
    const res = await t.call("/v1/apps", { token: "grove_not-a-real-token" });
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    await problemOf(res, 401);
  });

  it("answers 404 problem+json for unknown routes and unknown apps", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await problemOf(await t.call("/v1/nothing-here", { token: dev }), 404);
    await problemOf(await t.call("/v1/apps/ghost", { token: dev }), 404);
  });

  it("answers 409 problem+json for a duplicate app name", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
    await problemOf(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 409);
  });

  it("answers 412 problem+json for a stale If-Match and applies a current one", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    const created = await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() });
    const etag = created.headers.get("etag") as string;
    expect(etag).toMatch(/^".+"$/);
    const first = await t.call("/v1/apps/web", {
      method: "PATCH",
      token: dev,
      headers: { "if-match": etag },
      json: { instances: 3 },
    });
    await expectStatus(first, 200);
    const next = first.headers.get("etag");
    expect(next).not.toBe(etag);
    const stale = await t.call("/v1/apps/web", {
      method: "PATCH",
      token: dev,
      headers: { "if-match": etag },
      json: { instances: 5 },
    });
    await problemOf(stale, 412);
    const shown = await t.call("/v1/apps/web", { token: dev });
    expect(shown.headers.get("etag")).toBe(next);
    expect(((await shown.json()) as { instances: number }).instances).toBe(3);
  });

  it("answers 413 problem+json for a body over the limit", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats, { GROVE_MAX_BODY_BYTES: "1024" });
    const dev = await t.tenantWithToken("acme");
    const res = await t.call("/v1/apps", {
      method: "POST",
      token: dev,
      json: webApp("web", { env: { BIG: "x".repeat(4096) } }),
    });
    await problemOf(res, 413);
  });

  it("echoes a given X-Request-Id and makes one when absent", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const given = await t.call("/livez", { headers: { "x-request-id": "req-abc.123" } });
    expect(given.headers.get("x-request-id")).toBe("req-abc.123");
    const made = await t.call("/livez");
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("serves the OpenAPI document of the /v1 routes", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const doc = (await expectStatus(await t.call("/openapi.json", { token: null }), 200)) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/apps",
        "/v1/apps/{name}",
        "/v1/apps/{name}/bits",
        "/v1/cells",
        "/v1/tenants",
      ]),
    );
  });

  it("serves livez, readyz and grove_ metrics without a token", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    await expectStatus(await t.call("/livez", { token: null }), 200);
    expect(await expectStatus(await t.call("/readyz", { token: null }), 200)).toEqual({
      ready: true,
      checks: { postgres: true, nats: true },
    });
    const metrics = await (await t.call("/metrics", { token: null })).text();
    expect(metrics).toMatch(/grove_http_requests_total\{method="GET",route="\/readyz",status="200"\} 1/);
  });

  it("pages through apps with limit and an opaque cursor", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    for (const name of ["e", "a", "d", "c", "b"]) {
      await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp(name) }), 201);
    }
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = (await expectStatus(await t.call(`/v1/apps${query}`, { token: dev }), 200)) as {
        items: { name: string }[];
        next_cursor: string | null;
      };
      names.push(...page.items.map((a) => a.name));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(names).toEqual(["a", "b", "c", "d", "e"]);
    expect(pages).toBe(3);
    const bad = await t.call("/v1/apps?cursor=garbage", { token: dev });
    expect(((await problemOf(bad, 400)).errors as { field: string }[])[0]?.field).toBe("cursor");
  });
});
