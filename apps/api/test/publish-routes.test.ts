import { subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { publishRoutes } from "../src/routing/publish-routes";

describeWith(["nats"], "publishing routes", () => {
  it("gives the event loop back while sending many, and skips what `skip` says no longer goes", async ({
    nats,
  }) => {
    const api = await nats.connect("api");
    const router = await nats.connect("router");
    try {
      const count = 30_000;
      const received = new Set<string>();
      const sub = router.subscribe(subjects.routerRegister, {
        callback: (_error, msg) => {
          received.add(msg.json<{ private_instance_id: string }>().private_instance_id);
        },
      });
      await router.flush();
      const registrations = Array.from({ length: count }, (_, i) => ({
        host: "10.0.0.1",
        port: 61_000 + (i % 1000),
        uris: [`app-${i}.acme.grove.test`],
        private_instance_id: `i-${i}`,
      }));
      // a timer that fires whenever the event loop is free: how often it ran before the last
      // registration's turn is how often publishing gave the loop back (held whole: never)
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 1);
      let ticksBeforeLast = -1;
      // the last instance is withdrawn once publishing has given the loop back
      const withdrawn = new Set<string>();
      setImmediate(() => withdrawn.add(`i-${count - 1}`));
      await publishRoutes(api, "register", registrations, (r) => {
        if (r.private_instance_id === `i-${count - 1}`) ticksBeforeLast = ticks;
        return withdrawn.has(r.private_instance_id ?? "");
      });
      clearInterval(ticker);
      await router.flush();
      await expect.poll(() => received.size, { timeout: 10_000 }).toBe(count - 1);
      expect(received.has(`i-${count - 1}`)).toBe(false);
      // whole, this takes 150–500 ms here; in 5-ms slices the loop is free dozens of times (counted,
      // not timed: on a loaded machine the process itself may wait hundreds of ms for a core)
      expect(ticksBeforeLast).toBeGreaterThanOrEqual(5);
      sub.unsubscribe();
    } finally {
      await api.close();
      await router.close();
    }
    // beyond the poll's own 10 s: a loaded machine delivers 30,000 messages slowly
  }, 30_000);
});
