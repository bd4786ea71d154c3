import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { expectStatus, startTestApi } from "../harness";
import { register } from "../register-cell";

describeWith(["root", "postgres", "nats"], "security: a revoked join token", () => {
  it("cannot join a cell, though it had uses left, and the refusal writes nothing", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const created = (await expectStatus(
      await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 5 } }),
      201,
    )) as { id: string; token: string };
    expect(await register(t.nc, created.token, "before")).toMatchObject({ ok: true });

    await expectStatus(await t.call(`/v1/cells/tokens/${created.id}`, { method: "DELETE" }), 204);

    expect(await register(t.nc, created.token, "after")).toMatchObject({
      ok: false,
      code: "invalid-join-token",
      error: "join token revoked",
    });
    const cells = (await expectStatus(await t.call("/v1/cells"), 200)) as { items: { name: string }[] };
    expect(cells.items.map((cell) => cell.name)).toEqual(["before"]);
    const listed = (await expectStatus(await t.call("/v1/cells/tokens"), 200)) as { items: unknown[] };
    expect(listed.items).toEqual([]);
  });
});
