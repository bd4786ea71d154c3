import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeWith, it } from "@grove/testkit";
import { makeTempDir } from "@grove/testkit/services";
import { expect, onTestFinished } from "vitest";
import { eventually, spread, startCluster } from "./cluster-harness";
import { execIn } from "./exec-in";
import { groveCli } from "./grove-cli";
import { instanceNetns, openSession } from "./security/netns-probe";

const B = "b.default.default.internal";

// The "done when" tour, with the CLI, on two cells that are separate netns hosts.
describeWith(
  ["root", "runc", "postgres", "nats", "network"],
  "the network tour on a multi-cell cluster",
  () => {
    it("a cannot reach b by name until `grove policies add a b --port 8080`, then can from every instance within 2 s; removing it cuts the open connection", {
      timeout: 300_000,
    }, async ({ pg, nats }) => {
      const c = await startCluster(pg, nats, { cellCount: 2, netnsHosts: true });
      const api = await c.t.serveHttp();
      const home = await makeTempDir("grove-net-tour-");
      const bits = await makeTempDir("grove-net-tour-app-");
      onTestFinished(() => Promise.all([home.remove(), bits.remove()]).then(() => undefined));
      await writeFile(join(bits.path, "index.html"), "hello\n");
      const grove = groveCli(api, home.path);

      // a: two instances (one per cell); b: an echo server on its port
      const pushA = await grove([
        "push",
        bits.path,
        "--name",
        "a",
        "-i",
        "2",
        "--command",
        "httpd -f -p $PORT -h /home/vcap/app",
      ]);
      expect(pushA, pushA.out).toMatchObject({ exitCode: 0 });
      const pushB = await grove(["push", bits.path, "--name", "b", "--command", "nc -ll -p $PORT -e cat"]);
      expect(pushB, pushB.out).toMatchObject({ exitCode: 0 });
      const as = await c.running("a", 2);
      expect(Object.keys(spread(as))).toHaveLength(2);
      const [b] = await c.running("b", 1);
      if (!b?.container_ip) throw new Error("b has no address");

      /** `echo tour | nc` to b by name inside instance `index` of a: whether the echo came back. */
      const reaches = async (index: number) =>
        (await execIn(c, "a", index, ["sh", "-c", `echo tour | nc -w 2 ${B} 8080`])).stdout.includes("tour");

      // b's name resolves in every instance of a, but default deny keeps b out of reach
      for (const index of [0, 1]) {
        await eventually(async () => {
          const run = await execIn(c, "a", index, ["nslookup", B]);
          return run.stdout.includes(`Address: ${b.container_ip}`) ? true : undefined;
        }, 10_000);
        expect(await reaches(index)).toBe(false);
      }

      const added = await grove(["policies", "add", "a", "b", "--port", "8080"]);
      expect(added, added.out).toMatchObject({ exitCode: 0 });
      const addedAt = performance.now();
      const tookMs = await Promise.all(
        [0, 1].map(async (index) => {
          await eventually(async () => ((await reaches(index)) ? true : undefined), 10_000);
          return performance.now() - addedAt;
        }),
      );
      expect(Math.max(...tookMs)).toBeLessThan(2_000);

      // an open connection from a to b, then the policy goes: the connection stops within 2 s
      const a0 = as.find((i) => i.index === 0);
      const cell = c.cells.find((x) => x.name === a0?.cell?.name);
      if (!a0 || !cell) throw new Error("no instance 0 of a");
      const session = await openSession(await instanceNetns(cell, a0.id), b.container_ip, 8080);
      try {
        await session.roundTrip("open");
        const removed = await grove(["policies", "remove", "a", "b", "--port", "8080"]);
        expect(removed, removed.out).toMatchObject({ exitCode: 0 });
        expect(await session.cutWithin()).toBeLessThan(2_000);
      } finally {
        await session.close();
      }
      for (const index of [0, 1]) expect(await reaches(index)).toBe(false);
    });
  },
);
