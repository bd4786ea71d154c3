import { subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { registerCell } from "../../src/cells/register-responder";
import { cellNetworkSettings } from "../../src/config";
import { expectStatus, startTestApi, type TestApi } from "../harness";
import { register, registerRequest } from "../register-cell";

async function cellNames(t: TestApi): Promise<string[]> {
  const page = (await expectStatus(await t.call("/v1/cells"), 200)) as { items: { name: string }[] };
  return page.items.map((cell) => cell.name).sort();
}

async function joinToken(t: TestApi, json: Record<string, unknown> = {}): Promise<string> {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json });
  return ((await expectStatus(res, 201)) as { token: string }).token;
}

describeWith(["root", "postgres", "nats"], "security: a single-use join token", () => {
  it("cannot join a second cell", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const token = await joinToken(t);
    expect(await register(t.nc, token, "first")).toMatchObject({ ok: true });
    expect(await register(t.nc, token, "second")).toMatchObject({
      ok: false,
      code: "invalid-join-token",
      error: "join token used up",
    });
    expect(await cellNames(t)).toEqual(["first"]);
  });

  it("joins exactly one of several cells racing for it (and --uses 2 exactly two)", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    for (const uses of [1, 2]) {
      const token = await joinToken(t, { uses });
      // called directly, in parallel on separate connections, as replicas of the api would
      const replies = await Promise.all(
        ["a", "b", "c", "d"].map((name) =>
          registerCell(
            t.db,
            t.authority,
            {
              subject: subjects.register,
              data: new TextEncoder().encode(JSON.stringify(registerRequest(token, `race${uses}-${name}`))),
            },
            cellNetworkSettings(t.config),
          ),
        ),
      );
      expect(replies.filter((reply) => reply.ok)).toHaveLength(uses);
      expect(replies.filter((reply) => !reply.ok && reply.error === "join token used up")).toHaveLength(
        4 - uses,
      );
    }
    expect(await cellNames(t)).toHaveLength(3);
    const listed = (await expectStatus(await t.call("/v1/cells/tokens"), 200)) as {
      items: { uses: number; max_uses: number; state: string }[];
    };
    expect(listed.items.map(({ uses, max_uses, state }) => ({ uses, max_uses, state }))).toEqual([
      { uses: 1, max_uses: 1, state: "used-up" },
      { uses: 2, max_uses: 2, state: "used-up" },
    ]);
  });
});
