import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { startTestApi } from "./harness";
import { hollowExecs, startedExec } from "./hollow-execs";

/**
 * Routing and tenancy of `grove exec` against a hollow cell that answers exec requests the way an
 * agent does (binding each exec to the tenant that started it). Running real processes is pinned by
 * the agent's cluster test.
 */
describeWith(["root", "postgres", "nats"], "exec routes", () => {
  it("refuses an instance that is not running yet with 409 and a missing index with 404", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const s = await hollowExecs(t);
    const exec = (index: number) =>
      t.call(`/v1/apps/web/instances/${index}/exec`, {
        method: "POST",
        token: s.acme,
        json: { command: ["ls"] },
      });
    expect((await exec(0)).status).toBe(409);
    expect((await exec(7)).status).toBe(404);
    expect(s.requests).toEqual([]);
    s.stop();
  });

  it("starts an exec on the instance's cell bound to the caller's tenant, hidden from other tenants", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const s = await hollowExecs(t);
    await s.cell.report(s.start, "RUNNING");
    const body = { command: ["sh", "-c", "echo hi"], tty: { columns: 80, rows: 24 } };
    const created = await startedExec(t, s.acme, body);
    expect(created.instance_id).toBe(s.start.instanceId);
    // the exec id names its cell: controls and output travel only on that cell's subjects
    expect(created.exec_id.startsWith(`${s.cell.cellId}_`)).toBe(true);
    expect(s.requests[0]).toMatchObject({
      // the cell knows the exec by an id bound to the token that started it
      execId: expect.stringMatching(new RegExp(`^${s.cell.cellId}_`)),
      instanceId: s.start.instanceId,
      tenantId: s.start.tenantId,
      command: body.command,
      tty: body.tty,
    });

    const signal = (token: string) =>
      t.call(`/v1/execs/${created.exec_id}/signal`, { method: "POST", token, json: { signal: "interrupt" } });
    expect((await signal(s.acme)).status).toBe(204);
    expect((await signal(s.other)).status).toBe(404);
    expect(
      (await t.call("/v1/apps/web/instances/0/exec", { method: "POST", token: s.other, json: body })).status,
    ).toBe(404);
    expect((await t.call(`/v1/execs/${created.exec_id}/output`, { token: s.other })).status).toBe(404);

    const stdin = await t.call(`/v1/execs/${created.exec_id}/stdin?eof=true`, {
      method: "POST",
      token: s.acme,
      body: "hello\n",
      headers: { "content-type": "application/octet-stream" },
    });
    expect(stdin.status).toBe(204);
    expect(s.controls.map((c) => c.action)).toContainEqual({
      type: "stdin",
      data: Buffer.from("hello\n").toString("base64"),
      eof: true,
    });
    s.stop();
  });

  it("answers 404 for an exec id no cell knows", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const acme = await t.tenantWithToken("acme");
    const res = await t.call("/v1/execs/nope/resize", {
      method: "POST",
      token: acme,
      json: { columns: 1, rows: 1 },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});
