import { decodeOrThrow, RegisterCellReply, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { createUser } from "@nats-io/nkeys";
import { jwtAuthenticator } from "@nats-io/transport-node";
import { expect, onTestFinished } from "vitest";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf, webApp } from "../harness";
import { joinHollowCell } from "../hollow-cell";
import { registerRequest } from "../register-cell";

/** Joins a cell with its own NATS user; returns its id and credential (JWT + seed). */
async function joinCell(t: TestApi, hostname: string) {
  const res = await t.call("/v1/cells/tokens", {
    method: "POST",
    json: { expires_in_seconds: 600, uses: 1 },
  });
  const { token } = (await expectStatus(res, 201)) as { token: string };
  const user = createUser();
  const request = { ...registerRequest(token, hostname), publicKey: user.getPublicKey() };
  const answer = await t.nc.request(subjects.register, JSON.stringify(request), { timeout: 5_000 });
  const reply = decodeOrThrow(RegisterCellReply, answer.data);
  if (!reply.ok) throw new Error(reply.error);
  return { cellId: reply.cellId, authenticator: jwtAuthenticator(reply.jwt, user.getSeed()) };
}

describeWith(["root", "postgres", "nats"], "a removed cell", () => {
  it("is disconnected from NATS within 1 s, refused when it reconnects, and gets no placements", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { cellId, authenticator } = await joinCell(t, "cell-gone");
    const options = { authenticator, inboxPrefix: `_GROVE_INBOX.${cellId}`, reconnect: false };
    const cell = await nats.connect("api", options);
    onTestFinished(() => cell.close());
    await cell.flush();

    const removed = await expectStatus(await t.call(`/v1/cells/${cellId}/remove`, { method: "POST" }), 200);
    expect(removed).toMatchObject({ id: cellId, state: "lost" });
    const closedInTime = await Promise.race([
      cell.closed().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000)),
    ]);
    expect(closedInTime).toBe(true);
    await expect(nats.connect("api", options)).rejects.toThrow(/authorization|revoked/i);

    // the only cell is removed: a new instance stays unplaced, with the reason
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("web") }), 201);
    const tar = await tarOf({ "app.sh": "httpd" });
    await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", token: dev, body: tar }), 200);
    const instance = await eventually(async () => {
      const page = (await expectStatus(await t.call("/v1/apps/web/instances", { token: dev }), 200)) as {
        items: { state: string; cell: unknown; reason: string | null }[];
      };
      return page.items[0]?.reason ? page.items[0] : undefined;
    });
    expect(instance).toMatchObject({ state: "UNPLACED", cell: null });
  });

  it("stays refused after NATS restarts, while another cell still takes commands", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    await eventually(async () => (t.api.isLeader() ? true : undefined));
    const gone = await joinCell(t, "cell-gone");
    const res = await t.call("/v1/cells/tokens", { method: "POST", json: { expires_in_seconds: 600 } });
    const { token } = (await expectStatus(res, 201)) as { token: string };
    const kept = await joinHollowCell(t.nc, token, "cell-kept", 4096, { ownUser: nats });
    onTestFinished(() => kept.stop());
    kept.startHeartbeats(500);
    await expectStatus(await t.call(`/v1/cells/${gone.cellId}/remove`, { method: "POST" }), 200);

    await nats.restart();
    await eventually(async () =>
      (await t.call("/readyz", { token: null })).status === 200 ? true : undefined,
    );
    const options = { authenticator: gone.authenticator, inboxPrefix: `_GROVE_INBOX.${gone.cellId}` };
    await expect(nats.connect("api", { ...options, reconnect: false })).rejects.toThrow(
      /authorization|revoked/i,
    );

    // the kept cell (reconnected by itself) gets the start command of a new instance and its answer arrives
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("web") }), 201);
    const tar = await tarOf({ "app.sh": "httpd" });
    await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", token: dev, body: tar }), 200);
    const start = await eventually(async () => kept.starts[0], 30_000, "a start command on the kept cell");
    await kept.report(start, "RUNNING");
    await eventually(
      async () => {
        const page = (await expectStatus(await t.call("/v1/apps/web/instances", { token: dev }), 200)) as {
          items: { state: string; cell: { id: string } | null }[];
        };
        return page.items[0]?.state === "RUNNING" ? true : undefined;
      },
      30_000,
      "the instance RUNNING",
    );
    expect(kept.violations).toEqual([]);
  });

  it("cannot be removed by a developer (403) and an unknown cell is 404; nothing changes", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const { cellId, authenticator } = await joinCell(t, "cell-kept");
    const dev = await t.tenantWithToken("acme");
    const refused = await t.call(`/v1/cells/${cellId}/remove`, { method: "POST", token: dev });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toMatch(/problem\+json/);
    const unknown = await t.call("/v1/cells/00000000-0000-4000-8000-000000000000/remove", { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toMatch(/problem\+json/);
    expect(await expectStatus(await t.call(`/v1/cells/${cellId}`), 200)).toMatchObject({ state: "active" });
    const cell = await nats.connect("api", { authenticator, inboxPrefix: `_GROVE_INBOX.${cellId}` });
    await cell.flush();
    await cell.close();
  });
});
