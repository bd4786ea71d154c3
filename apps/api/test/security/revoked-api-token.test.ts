import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { expectStatus, startTestApi, webApp } from "../harness";

describeWith(["root", "postgres", "nats"], "security: a revoked API token", () => {
  it("is refused on the very next request, and that request changes nothing", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    const issued = (await expectStatus(
      await t.call("/v1/tokens", {
        method: "POST",
        token: admin,
        json: { role: "developer", tenant: "acme", name: "ci" },
      }),
      201,
    )) as { id: string; token: string };
    await expectStatus(await t.call("/v1/apps", { token: issued.token }), 200);

    await expectStatus(await t.call(`/v1/tokens/${issued.id}`, { method: "DELETE", token: admin }), 204);

    const refused = await t.call("/v1/apps", { method: "POST", token: issued.token, json: webApp() });
    const problem = (await expectStatus(refused, 401)) as { type: string; detail: string };
    expect(problem.type).toBe("urn:grove:problem:unauthorized");
    expect(problem.detail).toBe("revoked token");
    await expectStatus(await t.call("/v1/apps/web", { headers: { "x-grove-tenant": "acme" } }), 404);
    const listed = (await expectStatus(await t.call("/v1/tokens?tenant=acme"), 200)) as {
      items: { id: string }[];
    };
    expect(listed.items.map((token) => token.id)).not.toContain(issued.id);
  });
});
