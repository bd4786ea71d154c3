import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { cellName } from "@grove/garden-server";
import { describeWith } from "@grove/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type SingleNode, startSingleNode } from "../../../infra/single-node-process";
import { until, viaRouter } from "./single-node-tools";

const root = join(import.meta.dirname, "../../..");

interface Shown {
  app: { name: string; instances: number };
  instances: { id: string; index: number; state: string; crash_count: number }[];
}

// The README's tour, on a real single node started the way `npm start` starts it.
describeWith(["root", "runc", "postgres", "nats", "network"], "the README tour on a single node", () => {
  let node: SingleNode;
  const show = async (app: string) =>
    JSON.parse(String((await node.grove(["apps", "show", app, "--json"])).stdout)) as Shown;

  beforeAll(async () => {
    node = await startSingleNode();
  }, 300_000);
  afterAll(async () => {
    await node?.stop();
  }, 180_000);

  it("serves examples/hello, pushed by npm start, through the router", async () => {
    expect(node.output()).toMatch(
      /Grove is running\. examples\/hello is at http:\/\/hello\.default\.grove\.localhost:/,
    );
    const res = await viaRouter(node, "hello.default.grove.localhost");
    expect(res.status).toBe(200);
    expect(res.body).toContain("Hello from Grove");
  });

  it("pushes examples/hello-node on the node stack, scales it to 3 and spreads requests", async () => {
    const pushed = await node.grove([
      "push",
      join(root, "examples/hello-node"),
      "--name",
      "hello-node",
      "--stack",
      "node",
    ]);
    expect(pushed.exitCode).toBe(0);
    expect((await viaRouter(node, "hello-node.default.grove.localhost")).body).toMatch(
      /^Hello from Grove on Node v\d+/,
    );
    await node.grove(["scale", "hello-node", "-i", "3"]);
    await until(async () => {
      const shown = await show("hello-node");
      return shown.instances.filter((i) => i.state === "RUNNING").length === 3 ? true : undefined;
    });
    const seen = new Set<string>();
    await until(async () => {
      const { body } = await viaRouter(node, "hello-node.default.grove.localhost");
      seen.add(body.match(/instance (\d+)/)?.[1] ?? "?");
      return seen.size === 3 ? true : undefined;
    }, 30_000);
    expect(seen).toEqual(new Set(["0", "1", "2"]));
  });

  it("shows recent log lines and follows new ones", async () => {
    const recent = await node.grove(["logs", "hello-node", "-n", "100"]);
    expect(String(recent.stdout)).toContain("GET /");
    const follower = spawn(
      process.execPath,
      [join(root, "apps/cli/bin/grove.js"), "logs", "hello-node", "-f", "-n", "0"],
      {
        env: { ...process.env, ...node.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let followed = "";
    follower.stdout?.on("data", (d) => {
      followed += d;
    });
    try {
      await until(async () => {
        await viaRouter(node, "hello-node.default.grove.localhost");
        return followed.includes("GET /") ? true : undefined;
      }, 30_000);
    } finally {
      follower.kill("SIGINT");
    }
  });

  it("execs a command in an instance with stdin, passing its output and exit code through", async () => {
    const hi = await node.grove(["exec", "hello", "--", "echo", "hi"]);
    expect({ stdout: hi.stdout, exitCode: hi.exitCode }).toEqual({ stdout: "hi", exitCode: 0 });
    const read = await node.grove(["exec", "hello", "--", "sh", "-c", "read x; echo got:$x; echo e >&2"], {
      input: "abc\n",
    });
    expect({ stdout: read.stdout, stderr: read.stderr }).toEqual({ stdout: "got:abc", stderr: "e" });
    const failed = await node.grove(["exec", "hello", "--", "sh", "-c", "exit 7"], { reject: false });
    expect({ exitCode: failed.exitCode, stderr: failed.stderr }).toEqual({ exitCode: 7, stderr: "" });
    const missing = await node.grove(["exec", "hello", "-i", "9", "--", "true"], { reject: false });
    expect(missing.exitCode).toBe(1);
    expect(String(missing.stderr).trim().split("\n")).toHaveLength(1);
  });

  it("execs under a terminal with -t when grove itself runs on one", async () => {
    const grove = [process.execPath, join(root, "apps/cli/bin/grove.js")].join(" ");
    // script(1) gives grove a pseudo-terminal of no size, so grove asks for its default 80x24
    const run = await execa(
      "script",
      ["-qec", `${grove} exec hello -t -- sh -c 'stty size; test -t 0 && echo tty; exit 5'`, "/dev/null"],
      { env: { ...process.env, ...node.env }, reject: false, input: "" },
    );
    expect(run.stdout.replaceAll("\r", "").split("\n").slice(0, 2)).toEqual(["24 80", "tty"]);
    expect(run.exitCode).toBe(5);
  });

  it("delivers Ctrl-C to the exec'd command (INT by default, TERM or KILL with --signal)", async () => {
    for (const [flags, exitCode] of [
      [[], 130],
      [["--signal", "TERM"], 143],
      [["--signal", "KILL"], 137],
    ] as const) {
      const child = spawn(
        process.execPath,
        [
          join(root, "apps/cli/bin/grove.js"),
          "exec",
          "hello",
          ...flags,
          "--",
          "sh",
          "-c",
          "echo ready; exec sleep 100",
        ],
        { env: { ...process.env, ...node.env }, stdio: ["pipe", "pipe", "pipe"] },
      );
      let out = "";
      child.stdout?.on("data", (d) => {
        out += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      await until(async () => (out.includes("ready") ? true : undefined), 30_000);
      child.kill("SIGINT");
      expect(await exited).toBe(exitCode);
    }
  });

  it("brings back an instance whose process was killed", async () => {
    const before = await show("hello-node");
    const victim = before.instances.find((i) => i.index === 1 && i.state === "RUNNING");
    const procs = (
      await readFile(
        `/sys/fs/cgroup/pids/${cellName(node.env.GROVE_BRIDGE as string)}/${victim?.id}/cgroup.procs`,
        "utf8",
      )
    )
      .split("\n")
      .filter(Boolean)
      .map(Number)
      .sort((a, b) => a - b)
      .slice(1); // all but the container's init
    for (const pid of procs) process.kill(pid, "SIGKILL");
    await until(async () => {
      const shown = await show("hello-node");
      const running = shown.instances.filter((i) => i.state === "RUNNING");
      return running.length === 3 && !running.some((i) => i.id === victim?.id) ? true : undefined;
    });
  });

  it("stops, starts and deletes an app", async () => {
    const host = "hello-node.default.grove.localhost";
    // a stop or delete withdraws the app's route before the command returns (issue 18)
    await node.grove(["stop", "hello-node"]);
    await until(async () => ((await viaRouter(node, host)).status === 404 ? true : undefined), 1_000);
    await node.grove(["start", "hello-node"]);
    await until(async () => ((await viaRouter(node, host)).status === 200 ? true : undefined));
    await node.grove(["delete", "hello-node", "--force"]);
    await until(async () => ((await viaRouter(node, host)).status === 404 ? true : undefined), 1_000);
    const listed = await node.grove(["apps", "list", "--json"]);
    expect(String(listed.stdout)).not.toContain("hello-node");
    const unknown = await node.grove(["apps", "show", "hello-node"], { reject: false });
    expect(unknown.exitCode).toBe(1);
    expect(String(unknown.stderr).trim().split("\n")).toHaveLength(1);
  });
});
