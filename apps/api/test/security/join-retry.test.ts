import { decodeOrThrow, RegisterCellReply, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { createInbox } from "@nats-io/transport-node";
import { expect } from "vitest";
import { eventually, expectStatus, startTestApi, type TestApi } from "../harness";
import { registerRequest } from "../register-cell";

async function cellIds(t: TestApi): Promise<string[]> {
  const page = (await expectStatus(await t.call("/v1/cells"), 200)) as { items: { id: string }[] };
  return page.items.map((cell) => cell.id);
}

/** The claims of a JWT (its signature is NATS's to check). */
const claims = (jwt: string): unknown =>
  JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString());

async function request(t: TestApi, body: object) {
  const answer = await t.nc.request(subjects.register, JSON.stringify(body), { timeout: 10_000 });
  return decodeOrThrow(RegisterCellReply, answer.data);
}

describeWith(["root", "postgres", "nats"], "security: a register retried after its reply was lost", () => {
  it("gets the same cell with a fresh JWT for the same key, without spending a use; another key is refused", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const res = await t.call("/v1/cells/tokens", { method: "POST", json: { expires_in_seconds: 600 } });
    const { token } = (await expectStatus(res, 201)) as { token: string };
    const body = registerRequest(token, "cell-retry");

    // the first reply goes to an inbox nobody listens on: the agent never hears it
    t.nc.publish(subjects.register, JSON.stringify(body), { reply: createInbox() });
    const [cellId] = await eventually(
      async () => {
        const ids = await cellIds(t);
        return ids.length === 1 ? ids : undefined;
      },
      30_000,
      "the first registration",
    );

    const first = await request(t, body);
    expect(first).toMatchObject({ ok: true, cellId });
    const again = await request(t, body);
    expect(again).toMatchObject({ ok: true, cellId });
    if (!first.ok || !again.ok) throw new Error("unreachable");
    // each reply is a working identity for that key: a JWT naming it
    expect(claims(again.jwt)).toMatchObject({ sub: body.publicKey, name: `cell-${cellId}` });
    expect(claims(first.jwt)).toMatchObject({ sub: body.publicKey, name: `cell-${cellId}` });

    // another agent (another key) with the spent token is refused
    expect(await request(t, registerRequest(token, "cell-intruder"))).toMatchObject({
      ok: false,
      code: "invalid-join-token",
      error: "join token used up",
    });
    expect(await cellIds(t)).toEqual([cellId]);
    const listed = (await expectStatus(await t.call("/v1/cells/tokens"), 200)) as {
      items: { uses: number; state: string }[];
    };
    expect(listed.items).toMatchObject([{ uses: 1, state: "used-up" }]);
  });

  it("is refused once the cell has reported, or the token is revoked; a retry under --uses 2 makes no second cell", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const tokenWith = async (uses: number) => {
      const res = await t.call("/v1/cells/tokens", { method: "POST", json: { uses } });
      return ((await expectStatus(res, 201)) as { token: string; id: string }).token;
    };

    // with uses left, the same key still gets its own cell back and leaves the use for another cell
    const two = await tokenWith(2);
    const body = registerRequest(two, "cell-two");
    const lost = await request(t, body);
    const joined = await request(t, body);
    expect(joined).toMatchObject({ ok: true, cellId: lost.ok && lost.cellId });
    expect(await cellIds(t)).toHaveLength(1);
    expect(await request(t, registerRequest(two, "cell-other"))).toMatchObject({ ok: true });
    expect(await cellIds(t)).toHaveLength(2);

    // once the cell has heartbeated its agent holds its identity: a "retry" is someone else's
    if (!joined.ok) throw new Error(joined.error);
    t.nc.publish(
      subjects.heartbeat(joined.cellId),
      JSON.stringify({
        v: 2,
        cellId: joined.cellId,
        seq: 0,
        at: new Date().toISOString(),
        capacity: body.capacity,
        available: body.capacity,
        instances: [],
      }),
    );
    await eventually(
      async () => {
        const cell = (await expectStatus(await t.call(`/v1/cells/${joined.cellId}`), 200)) as {
          available?: unknown;
        };
        return cell.available !== undefined && cell.available !== null;
      },
      30_000,
      "the heartbeat recorded",
    );
    expect(await request(t, body)).toMatchObject({ ok: false, error: "join token used up" });

    // a revoked token serves no retry either
    const one = await tokenWith(1);
    const revokedBody = registerRequest(one, "cell-revoked");
    expect(await request(t, revokedBody)).toMatchObject({ ok: true });
    const tokens = (await expectStatus(await t.call("/v1/cells/tokens"), 200)) as {
      items: { id: string; max_uses: number }[];
    };
    const id = tokens.items.find((item) => item.max_uses === 1)?.id;
    await expectStatus(await t.call(`/v1/cells/tokens/${id}`, { method: "DELETE" }), 204);
    expect(await request(t, revokedBody)).toMatchObject({ ok: false, error: "join token revoked" });
    expect(await cellIds(t)).toHaveLength(3);
  });
});
