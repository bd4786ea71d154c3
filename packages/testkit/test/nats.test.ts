import { createHash, randomBytes } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { connect } from "@nats-io/transport-node";
import { expect } from "vitest";
import { describeWith, it } from "../src";

describeWith(["nats"], "throwaway NATS with JetStream", () => {
  it("answers a request with the responder's reply", async ({ nats }) => {
    const nc = await nats.connect();
    try {
      const sub = nc.subscribe("echo");
      (async () => {
        for await (const m of sub) m.respond(new TextEncoder().encode(`echo:${m.string()}`));
      })();
      const reply = await nc.request("echo", "hello", { timeout: 2_000 });
      expect(reply.string()).toBe("echo:hello");
    } finally {
      await nc.drain();
    }
  });

  it("stores and reads back a KV entry", async ({ nats }) => {
    const nc = await nats.connect();
    try {
      const kv = await new Kvm(nc).create("testkit");
      await kv.put("cell.a", "active");
      const entry = await kv.get("cell.a");
      expect(entry?.string()).toBe("active");
    } finally {
      await nc.drain();
    }
  });

  it("stores a 5 MB object and returns the same bytes", async ({ nats }) => {
    const nc = await nats.connect();
    try {
      const store = await new Objm(nc).create("bits");
      const data = randomBytes(5 * 1024 * 1024);
      await store.putBlob({ name: "app.tar" }, data);
      const back = await store.getBlob("app.tar");
      expect(back?.length).toBe(data.length);
      const digest = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
      expect(digest(back as Uint8Array)).toBe(digest(data));
      const info = await jetstream(nc).jetstreamManager();
      expect((await info.getAccountInfo()).streams).toBeGreaterThan(0);
    } finally {
      await nc.drain();
    }
  });
});

describeWith(["nats"], "the throwaway NATS is closed", () => {
  it("refuses an anonymous connection over TLS", async ({ nats }) => {
    const { tls } = await nats.options();
    await expect(connect({ servers: nats.url, tls, reconnect: false })).rejects.toThrow(
      /Authorization Violation/,
    );
  });

  it("refuses a plain-text connection with valid credentials", async ({ nats }) => {
    const { authenticator } = await nats.options();
    await expect(
      connect({ servers: nats.url.replace("tls:", "nats:"), authenticator, reconnect: false, tls: null }),
    ).rejects.toThrow();
  });
});
