import { randomUUID } from "node:crypto";
import { describeWith, it } from "@grove/testkit";
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { expectStatus, startTestApi, type TestApi, tarOf, webApp } from "./harness";

type Access = "operator" | "tenant_admin" | "member" | "space";
interface Operation {
  method: string;
  path: string;
  access: Access;
  hasBody: boolean;
}

/**
 * A body that passes validation for every operation taking one, so a refusal is the role's, not
 * the body's. A new route with a body needs its line here (the test says so).
 */
const bodies: Record<string, { json?: unknown; tar?: true; octets?: true }> = {
  "POST /v1/tenants": { json: { name: "initech" } },
  "PATCH /v1/tenants/{name}/quota": { json: { memory_mb: 1 } },
  "POST /v1/tokens": { json: { role: "developer", tenant: "acme", name: "mallory" } },
  "POST /v1/spaces": { json: { name: "qa" } },
  "PATCH /v1/spaces/{name}/quota": { json: { memory_mb: 1 } },
  "PUT /v1/spaces/{name}/roles/{token}": { json: { role: "developer" } },
  "POST /v1/apps": { json: webApp("api", { space: "dev" }) },
  "PATCH /v1/apps/{name}": { json: { instances: 5 } },
  "POST /v1/volumes": { json: { name: "scratch", size_mb: 64, space: "dev" } },
  "POST /v1/volumes/{name}/snapshots": { json: { name: "nightly" } },
  "POST /v1/volumes/{name}/restore": { json: { snapshot: "nightly" } },
  "PUT /v1/apps/{name}/bits": { tar: true },
  "POST /v1/apps/{name}/instances/{index}/exec": { json: { command: ["true"] } },
  "POST /v1/execs/{id}/stdin": { octets: true },
  "POST /v1/execs/{id}/signal": { json: { signal: "kill" } },
  "POST /v1/execs/{id}/resize": { json: { columns: 80, rows: 24 } },
  "POST /v1/cells/tokens": { json: {} },
  "POST /v1/policies": { json: { source: "web", source_space: "dev", destination: "web", port: 9000 } },
  "POST /v1/egress-rules": { json: { destination: "192.0.2.0/24", port: 443 } },
};

/** acme's things the requests name, made by `acme()`. */
interface Acme {
  tenantId: string;
  devSpaceId: string;
  webId: string;
  policyId: string;
  egressRuleId: string;
  volumeId: string;
  digest: string;
  admin: string;
  tokens: Record<"outsider" | "viewer" | "developer", { id: string; token: string }>;
}

/** acme: an admin, space dev with app web (bits, a policy), a volume, and three developer tokens. */
async function acme(t: TestApi): Promise<Acme> {
  const admin = await t.tenantWithToken("acme", "tenant_admin");
  const as = (json: unknown, path: string, method = "POST") => t.call(path, { method, token: admin, json });
  const dev = (await expectStatus(await as({ name: "dev" }, "/v1/spaces"), 201)) as { id: string };
  const web = (await expectStatus(await as(webApp("web", { space: "dev" }), "/v1/apps"), 201)) as {
    id: string;
  };
  const tar = await tarOf({ "index.html": "hi" });
  const bits = (await expectStatus(
    await t.call("/v1/apps/web/bits", { method: "PUT", token: admin, body: tar }),
    200,
  )) as { digest: string };
  const policy = (await expectStatus(
    await as({ source: "web", destination: "web", port: 8080 }, "/v1/policies"),
    201,
  )) as { id: string };
  const egressRule = (await expectStatus(
    await as({ destination: "198.51.100.0/24", port: 443 }, "/v1/egress-rules"),
    201,
  )) as { id: string };
  const volume = (await expectStatus(
    await as({ name: "data", size_mb: 64, space: "dev" }, "/v1/volumes"),
    201,
  )) as {
    id: string;
  };
  const tokens = {} as Acme["tokens"];
  for (const [name, role] of [
    ["outsider", null],
    ["viewer", "viewer"],
    ["developer", "developer"],
  ] as const) {
    const made = (await expectStatus(
      await as({ role: "developer", tenant: "acme", name }, "/v1/tokens"),
      201,
    )) as { id: string; token: string };
    if (role) await expectStatus(await as({ role }, `/v1/spaces/dev/roles/${name}`, "PUT"), 200);
    tokens[name] = made;
  }
  const [tenant] = await t.db.execute<{ id: string }>(sql`select id from tenants where name = 'acme'`);
  return {
    tenantId: (tenant as { id: string }).id,
    devSpaceId: dev.id,
    webId: web.id,
    policyId: policy.id,
    egressRuleId: egressRule.id,
    volumeId: volume.id,
    digest: bits.digest,
    admin,
    tokens,
  };
}

/** The path of an operation with its parameters naming acme's things (or ids nobody has). */
function urlOf(op: Operation, a: Acme): string {
  const values: Record<string, string> = {
    index: "0",
    snapshot: "nightly",
    digest: a.digest,
    token: "developer",
  };
  const byPrefix: [string, Record<string, string>][] = [
    ["/v1/tenants/", { name: "acme" }],
    ["/v1/spaces/", { name: "dev" }],
    ["/v1/apps/", { name: "web" }],
    ["/v1/volumes/", { name: "data" }],
    ["/v1/tokens/", { id: a.tokens.developer.id }],
    ["/v1/policies/", { id: a.policyId }],
    ["/v1/egress-rules/", { id: a.egressRuleId }],
    ["/v1/execs/", { id: randomUUID() }],
    ["/v1/cells/", { id: randomUUID() }],
  ];
  const named = byPrefix.find(([prefix]) => op.path.startsWith(prefix))?.[1] ?? {};
  const path = op.path.replace(/\{(\w+)\}/g, (_, param: string) => {
    const value = named[param] ?? values[param];
    if (value === undefined)
      throw new Error(`${op.method} ${op.path}: no value for {${param}} in the matrix`);
    return value;
  });
  // a collection of space-bound things is asked for in dev
  const spaceBound = ["/v1/apps", "/v1/volumes"].includes(path) && op.method === "GET";
  return spaceBound ? `${path}?space=dev` : path;
}

/** Everything of acme a refused request could have changed. */
async function acmeState(t: TestApi, tenantId: string): Promise<string> {
  const rows = await Promise.all(
    [
      sql`select id, name, version, instances, state, bits_digest from apps where tenant_id = ${tenantId} order by id`,
      sql`select id, name from spaces where tenant_id = ${tenantId} order by id`,
      sql`select space_id, version from space_quotas where tenant_id = ${tenantId} order by space_id`,
      sql`select version from tenant_quotas where tenant_id = ${tenantId}`,
      sql`select space_id, token_id, role from space_roles where tenant_id = ${tenantId} order by 1, 2`,
      sql`select id, role, revoked_at from api_tokens where tenant_id = ${tenantId} order by id`,
      sql`select id, name, state from volumes where tenant_id = ${tenantId} order by id`,
      sql`select id, name from volume_snapshots where tenant_id = ${tenantId} order by id`,
      sql`select id from network_policies where tenant_id = ${tenantId} order by id`,
      sql`select id from egress_rules where tenant_id = ${tenantId} order by id`,
      sql`select digest from bits where tenant_id = ${tenantId} order by digest`,
      sql`select count(*)::int as n from app_events where tenant_id = ${tenantId}`,
      sql`select count(*)::int as n from tenants`,
    ].map((query) => t.db.execute(query)),
  );
  return JSON.stringify(rows.map((result) => [...result]));
}

/**
 * What a caller must get: `refused` with 404/403 and no change; `readable` a 2xx of a read; `own`
 * a 2xx acting in the caller's own tenant; `skip` a change the role allows (not made here).
 */
type Expected = { status: 403 | 404 } | { status: "2xx" } | { skip: string };

function expected(caller: string, op: Operation, url: string, body: unknown, a: Acme): Expected {
  const write = op.method !== "GET" && op.method !== "HEAD";
  if (op.access === "operator") return { status: 403 };
  // an exec is reached by the random id its starter got: an id nobody holds is not found
  if (op.path.startsWith("/v1/execs/")) return { status: 404 };
  if (caller === "globex admin") {
    const text = `${url} ${JSON.stringify(body ?? "")}`;
    const acmeThings = [
      "acme",
      "dev",
      "web",
      "data",
      "developer",
      a.digest,
      a.policyId,
      a.egressRuleId,
      a.volumeId,
    ];
    const namesAcme = [...acmeThings, ...Object.values(a.tokens).map((x) => x.id)].some((thing) =>
      new RegExp(`\\b${thing}\\b`).test(text),
    );
    return namesAcme ? { status: 404 } : { status: "2xx" };
  }
  if (op.access === "tenant_admin") return { status: 403 };
  if (op.access === "member") return write ? { skip: "a member's change" } : { status: "2xx" };
  // space: every request names dev
  if (caller === "outsider") return { status: 404 };
  if (!write) return { status: "2xx" };
  return caller === "viewer" ? { status: 403 } : { skip: "a developer's change" };
}

describeWith(["root", "postgres", "nats"], "access matrix", () => {
  it("answers every endpoint of the OpenAPI document with 404 out of reach and 403 beyond the role, changing nothing", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const doc = (await expectStatus(await t.call("/openapi.json", { token: null }), 200)) as {
      paths: Record<string, Record<string, { "x-grove-access"?: Access; requestBody?: unknown }>>;
    };
    const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => {
        const access = op["x-grove-access"];
        if (!access) throw new Error(`${method.toUpperCase()} ${path} declares no x-grove-access`);
        return { method: method.toUpperCase(), path, access, hasBody: op.requestBody !== undefined };
      }),
    );
    expect(operations.length).toBeGreaterThan(45);

    const a = await acme(t);
    const globexAdmin = await t.tenantWithToken("globex", "tenant_admin");
    const callers: [string, string][] = [
      ["globex admin", globexAdmin],
      ["outsider", a.tokens.outsider.token],
      ["viewer", a.tokens.viewer.token],
      ["developer", a.tokens.developer.token],
    ];
    // ids a caller must never see in an answer: all of acme's for globex, dev's for the outsider
    const hidden: Record<string, string[]> = {
      "globex admin": [a.tenantId, a.devSpaceId, a.webId, a.policyId, a.egressRuleId, a.volumeId, a.digest],
      outsider: [a.devSpaceId, a.webId, a.policyId, a.volumeId],
    };
    const tar = await tarOf({ "index.html": "changed" });

    const before = await acmeState(t, a.tenantId);
    const outcomes: string[] = [];
    let checked = 0;
    for (const [caller, token] of callers) {
      for (const op of operations) {
        const sample = bodies[`${op.method} ${op.path}`];
        if (op.hasBody && !sample) throw new Error(`${op.method} ${op.path}: add a valid body to the matrix`);
        const url = urlOf(op, a);
        const want = expected(caller, op, url, sample?.json, a);
        if ("skip" in want) continue;
        const res = await t.call(url, {
          method: op.method,
          token,
          json: sample?.json,
          body: sample?.tar ? tar : sample?.octets ? Buffer.from("x") : undefined,
        });
        const text = await res.text();
        const ok = want.status === "2xx" ? res.status >= 200 && res.status < 300 : res.status === want.status;
        // an id the request named may come back in the problem; any other is a leak
        const asked = `${url} ${JSON.stringify(sample?.json ?? "")}`;
        const leaked = (hidden[caller] ?? []).filter((id) => text.includes(id) && !asked.includes(id));
        if (!ok || leaked.length > 0) {
          outcomes.push(
            `${caller}: ${op.method} ${url} → ${res.status}, wanted ${want.status}` +
              (leaked.length > 0 ? `, leaked ${leaked.join(" ")}` : ` (${text.slice(0, 160)})`),
          );
        }
        checked++;
      }
      // refusals and reads changed nothing of acme
      expect(await acmeState(t, a.tenantId), `${caller} changed acme`).toBe(before);
    }
    expect(outcomes).toEqual([]);
    expect(checked).toBeGreaterThan(150);
  });
});
