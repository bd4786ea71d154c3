import { schema } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import { eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import { eventually, expectStatus, startTestApi, type TestApi } from "../harness";
import { hollowExecs, startedExec } from "../hollow-execs";

interface StreamEvent {
  event: string;
  data: unknown;
}

/** Every event of an SSE response until the server ends it; rejects if that takes over `withinMs`. */
async function untilEnd(res: Response, withinMs: number): Promise<StreamEvent[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let open = false;
  const deadline = setTimeout(() => {
    open = true;
    void reader.cancel();
  }, withinMs);
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    clearTimeout(deadline);
  }
  if (open) throw new Error(`the stream did not end within ${withinMs} ms`);
  return text
    .trim()
    .split("\n\n")
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((line) => line.startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      return { event: field("event") ?? "message", data: JSON.parse(field("data") ?? "null") };
    });
}

/** A developer token of acme (developer in its default space), with its id. */
async function issue(t: TestApi): Promise<{ id: string; token: string }> {
  const res = await t.call("/v1/tokens", { method: "POST", json: { role: "developer", tenant: "acme" } });
  const made = (await expectStatus(res, 201)) as { id: string; token: string };
  const grant = await t.call(`/v1/spaces/default/roles/${made.id}`, {
    method: "PUT",
    json: { role: "developer" },
    headers: { "x-grove-tenant": "acme" },
  });
  await expectStatus(grant, 200);
  return made;
}

const lapsed = (detail: string) => ({
  event: "error",
  data: { status: 401, type: "urn:grove:problem:unauthorized", detail },
});

describeWith(["root", "postgres", "nats"], "security: open streams and their token", () => {
  it("a followed log stream ends with a 401 event within 5 s of its token's revocation, or expiry", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const s = await hollowExecs(t);

    const revoked = await issue(t);
    const res = await t.call("/v1/apps/web/logs?follow=true", { token: revoked.token });
    expect(res.status).toBe(200);
    const ending = untilEnd(res, 5_000);
    await expectStatus(await t.call(`/v1/tokens/${revoked.id}`, { method: "DELETE" }), 204);
    expect((await ending).at(-1)).toMatchObject(lapsed("revoked token: the stream ended"));

    // a token that expires (here: made to, in the database) is found by the periodic check
    const expiring = await issue(t);
    const open = await t.call("/v1/apps/web/logs?follow=true", { token: expiring.token });
    expect(open.status).toBe(200);
    const ended = untilEnd(open, 5_000);
    await t.db
      .update(schema.apiTokens)
      .set({ expiresAt: sql`now()` })
      .where(eq(schema.apiTokens.id, expiring.id));
    expect((await ended).at(-1)).toMatchObject(lapsed("expired token: the stream ended"));
    s.stop();
  });

  it("an exec's output stream ends with a 401 event when its token is revoked, and the process is killed", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const s = await hollowExecs(t);
    await s.cell.report(s.start, "RUNNING");
    const issued = await issue(t);
    const created = await startedExec(t, issued.token, { command: ["sleep", "3600"] });
    const res = await t.call(`/v1/execs/${created.exec_id}/output`, { token: issued.token });
    expect(res.status).toBe(200);
    const ending = untilEnd(res, 5_000);
    await expectStatus(await t.call(`/v1/tokens/${issued.id}`, { method: "DELETE" }), 204);
    expect((await ending).at(-1)).toMatchObject(lapsed("revoked token: the stream ended"));
    await eventually(async () =>
      s.controls.some((c) => c.action.type === "signal" && c.action.signal === "kill"),
    );
    s.stop();
  });
});
