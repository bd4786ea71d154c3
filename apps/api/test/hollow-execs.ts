import { decodeOrThrow, ExecControl, ExecReply, ExecRequest, encode, subjects } from "@grove/protocol";
import { eventually, expectStatus, joinToken, type TestApi, tarOf, webApp } from "./harness";
import { joinHollowCell } from "./hollow-cell";

/**
 * App `web` of tenant acme (token `acme`; tenant `other` has token `other`) with one instance on a
 * hollow cell that answers exec requests the way an agent does, binding each exec to the tenant
 * that started it; `requests` and `controls` record what the cell received.
 */
export async function hollowExecs(t: TestApi) {
  const cell = await joinHollowCell(t.nc, await joinToken(t), "a");
  const acme = await t.tenantWithToken("acme");
  const other = await t.tenantWithToken("other");
  await expectStatus(await t.call("/v1/apps", { method: "POST", token: acme, json: webApp() }), 201);
  const tar = await tarOf({ "app.sh": "httpd" });
  await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", token: acme, body: tar }), 200);
  await eventually(async () => (cell.starts.length === 1 ? true : undefined));
  const start = cell.starts[0] as (typeof cell.starts)[0];
  const requests: ExecRequest[] = [];
  const controls: ExecControl[] = [];
  const sub = t.nc.subscribe(subjects.exec(cell.cellId), {
    callback: (_e, msg) => {
      const request = decodeOrThrow(ExecRequest, msg.data);
      requests.push(request);
      t.nc.subscribe(subjects.execControl(cell.cellId, request.execId), {
        callback: (_e2, control) => {
          const decoded = decodeOrThrow(ExecControl, control.data);
          controls.push(decoded);
          const mine = decoded.tenantId === request.tenantId;
          control.respond(encode(ExecReply, { v: 1, ok: mine, notFound: !mine }));
        },
      });
      msg.respond(encode(ExecReply, { v: 1, ok: true }));
    },
  });
  return {
    cell,
    start,
    acme,
    other,
    requests,
    controls,
    stop: () => {
      sub.unsubscribe();
      cell.stop();
    },
  };
}

/** Starts an exec in instance 0 of `web` as `token` once the api takes it (the instance is RUNNING). */
export async function startedExec(t: TestApi, token: string, body: object) {
  return (await eventually(async () => {
    const res = await t.call("/v1/apps/web/instances/0/exec", { method: "POST", token, json: body });
    return res.status === 201 ? res.json() : undefined;
  })) as { exec_id: string; instance_id: string };
}
