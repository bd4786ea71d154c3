import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { encode, RegisterCellReply, type RegisterCellRequest, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { loadOrJoin } from "../src/identity";

const cell = () => ({
  hostname: "cell-retry",
  address: "10.0.0.2",
  zone: "z1",
  capacity: { memoryMb: 1024, diskMb: 1024, containers: 10 },
  tags: [],
  stacks: ["busybox"],
});

describeWith(["nats"], "agent join", () => {
  it("sends a request whose reply was lost again with the same key, kept in the state dir meanwhile", async ({
    nats,
    tmp,
  }) => {
    const api = await nats.connect("api");
    onTestFinished(() => api.close());
    const seen: { publicKey: string; keyFileMode: number }[] = [];
    const sub = api.subscribe(subjects.register, {
      callback: (_err, msg) => {
        const request = JSON.parse(new TextDecoder().decode(msg.data)) as RegisterCellRequest;
        stat(join(tmp, "join-key")).then(({ mode }) => {
          seen.push({ publicKey: request.publicKey, keyFileMode: mode & 0o777 });
          // the first reply is lost; the retry is answered
          if (seen.length === 1) return;
          msg.respond(
            encode(RegisterCellReply, {
              v: 2,
              ok: true,
              cellId: "c1",
              jwt: "a.b.c",
            }),
          );
        });
      },
    });
    onTestFinished(() => sub.unsubscribe());
    await api.flush();

    const identity = await loadOrJoin(nats.access("join"), tmp, cell, "grovejoin_0123456789abcdef", 500);
    expect(identity).toMatchObject({ cellId: "c1", joined: true });
    expect(seen).toHaveLength(2);
    expect(seen[1]?.publicKey).toBe(seen[0]?.publicKey);
    expect(seen[0]?.keyFileMode).toBe(0o600);
    // the seed kept is the one sent; once joined it lives in the identity only
    const stored = JSON.parse(await readFile(join(tmp, "identity.json"), "utf8")) as { natsSeed: string };
    expect(stored.natsSeed).toBe(identity.natsSeed);
    await expect(stat(join(tmp, "join-key"))).rejects.toThrow(/ENOENT/);
  });
});
