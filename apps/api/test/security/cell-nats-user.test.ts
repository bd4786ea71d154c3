import { decodeOrThrow, RegisterCellReply, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { createUser } from "@nats-io/nkeys";
import { jwtAuthenticator } from "@nats-io/transport-node";
import { expect, onTestFinished } from "vitest";
import { expectStatus, startTestApi } from "../harness";
import { registerRequest } from "../register-cell";

describeWith(["root", "postgres", "nats"], "a cell's NATS user", () => {
  it("cannot publish another cell's heartbeat nor read another cell's commands: nothing reaches the api", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const res = await t.call("/v1/cells/tokens", {
      method: "POST",
      json: { expires_in_seconds: 600, uses: 1 },
    });
    const { token } = (await expectStatus(res, 201)) as { token: string };
    const user = createUser();
    const request = { ...registerRequest(token, "cell-x"), publicKey: user.getPublicKey() };
    const answer = await t.nc.request(subjects.register, JSON.stringify(request), { timeout: 5_000 });
    const reply = decodeOrThrow(RegisterCellReply, answer.data);
    if (!reply.ok) throw new Error(reply.error);
    const cell = await nats.connect("api", {
      authenticator: jwtAuthenticator(reply.jwt, user.getSeed()),
      inboxPrefix: `_GROVE_INBOX.${reply.cellId}`,
    });
    onTestFinished(() => cell.close());
    const errors: string[] = [];
    (async () => {
      for await (const status of cell.status())
        if (status.type === "error") errors.push(String(status.error));
    })();
    const seen: string[] = [];
    const spy = t.nc.subscribe("grove.v1.cells.other-cell.>", {
      callback: (_e, m) => {
        seen.push(m.subject);
      },
    });
    onTestFinished(() => spy.unsubscribe());
    await t.nc.flush();
    cell.subscribe(subjects.commands("other-cell"));
    cell.publish(subjects.heartbeat("other-cell"), "{}");
    await cell.flush();
    await t.nc.flush();
    expect(errors.join(" ")).toMatch(
      /Permissions Violation for Publish to "grove\.v1\.cells\.other-cell\.heartbeat"/,
    );
    expect(errors.join(" ")).toMatch(
      /Permissions Violation for Subscription to "grove\.v1\.cells\.other-cell\.commands"/,
    );
    expect(seen).toEqual([]);
  });
});
