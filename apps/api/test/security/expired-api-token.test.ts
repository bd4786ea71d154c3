import { schema } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { expectStatus, startTestApi, webApp } from "../harness";

describeWith(["root", "postgres", "nats"], "security: an expired API token", () => {
  it("is refused once its expiry has passed, and that request changes nothing", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    await t.tenantWithToken("acme");
    const issued = (await expectStatus(
      await t.call("/v1/tokens", {
        method: "POST",
        json: { role: "developer", tenant: "acme", name: "short", expires_in_seconds: 60 },
      }),
      201,
    )) as { id: string; token: string; expires_at: string };
    expect(Date.parse(issued.expires_at) - Date.now()).toBeGreaterThan(50_000);
    await expectStatus(await t.call("/v1/apps", { token: issued.token }), 200);

    // the minute passes
    await t.db
      .update(schema.apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1_000) })
      .where(eq(schema.apiTokens.id, issued.id));

    const refused = await t.call("/v1/apps", { method: "POST", token: issued.token, json: webApp() });
    expect(((await expectStatus(refused, 401)) as { detail: string }).detail).toBe("expired token");
    await expectStatus(await t.call("/v1/apps/web", { headers: { "x-grove-tenant": "acme" } }), 404);
  });
});
