import { hostname } from "node:os";
import { describeWith } from "@grove/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type SingleNode, startSingleNode } from "../../../infra/single-node-process";
import { until, viaRouter } from "./single-node-tools";

interface Shown {
  instances: { state: string; cell: { name: string } | null }[];
}

/** the cells of the RUNNING instances of `app`, once there are `count` of them */
async function runningOn(node: SingleNode, app: string, count: number, notOn?: string): Promise<string[]> {
  return until(async () => {
    const shown = JSON.parse(String((await node.grove(["apps", "show", app, "--json"])).stdout)) as Shown;
    const cells = shown.instances.filter((i) => i.state === "RUNNING").map((i) => i.cell?.name ?? "");
    return cells.length === count && !cells.includes(notOn ?? "") ? cells : undefined;
  }, 120_000);
}

// `npm start -- --cells 3`: a cluster on one machine, each agent on its own netns host.
describeWith(["root", "runc", "postgres", "nats", "network"], "npm start -- --cells 3", () => {
  let node: SingleNode;
  const cells = [1, 2, 3].map((i) => `${hostname()}-${i}`);

  beforeAll(async () => {
    node = await startSingleNode(["--cells", "3"]);
  }, 300_000);
  afterAll(async () => {
    await node?.stop();
  }, 180_000);

  it("starts three cells, each with its own address and zone, and serves the example app", async () => {
    expect(node.output()).toMatch(
      /3 cell hosts on \S+ \(10\.\d+\.\d+\.0\/24\): (10\.\d+\.\d+\.\d+, ){2}10\.\d+\.\d+\.\d+/,
    );
    const listed = String((await node.grove(["cells", "list"])).stdout);
    for (const [i, name] of cells.entries())
      expect(listed).toMatch(new RegExp(`^${name}\\s.*z${i + 1}`, "m"));
    expect(
      (
        await until(async () => {
          const answer = await viaRouter(node, "hello.default.grove.localhost");
          return answer.status === 200 ? answer : undefined;
        })
      ).body,
    ).toContain("Hello from Grove");
  });

  it("spreads an app's instances over the cells, and a drain moves them to the others", async () => {
    await node.grove(["scale", "hello", "-i", "3"]);
    expect(new Set(await runningOn(node, "hello", 3))).toEqual(new Set(cells));
    await node.grove(["cells", "drain", cells[0] as string]);
    const after = await runningOn(node, "hello", 3, cells[0]);
    expect(new Set(after)).toEqual(new Set(cells.slice(1)));
    // every instance answers through the router from its netns host
    for (let i = 0; i < 6; i++)
      expect((await viaRouter(node, "hello.default.grove.localhost")).status).toBe(200);
  });
});
