import { RequestError, TimeoutError } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect } from "vitest";
import { describeWith, it, startNats, type TestNats } from "../src";

// connections made with Grove's options end answered requests without a stack (`quietCancelledRequests`):
// requests must still resolve and fail as nats.js says they do
describeWith(["nats"], "NATS requests on Grove's connection options", () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("an answered request resolves; no responder and no answer in time reject as nats.js says", async () => {
    const nc = await nats.connect("api");
    try {
      const sub = nc.subscribe("grove.test.echo", {
        callback: (_e, msg) => {
          msg.respond(msg.data);
        },
      });
      for (let i = 0; i < 50; i++)
        expect((await nc.request("grove.test.echo", `ping ${i}`, { timeout: 5_000 })).string()).toBe(
          `ping ${i}`,
        );
      const none = await nc.request("grove.test.nobody", "x", { timeout: 5_000 }).catch((error) => error);
      // the classes the api tells errors by (`instanceof`) are nats.js' own
      expect(none).toBeInstanceOf(RequestError);
      expect((none as RequestError).isNoResponders()).toBe(true);
      nc.subscribe("grove.test.silent", { callback: () => {} });
      const late = await nc.request("grove.test.silent", "x", { timeout: 200 }).catch((error) => error);
      expect(late).toBeInstanceOf(TimeoutError);
      sub.unsubscribe();
    } finally {
      await nc.close();
    }
  });
});
