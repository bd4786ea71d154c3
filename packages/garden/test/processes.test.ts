import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../src/index";
import { ExecutableNotFound, ProcessNotFound } from "../src/index";
import {
  eventually,
  firstChunk,
  type GardenFixture,
  gardenFixture,
  readAll,
  runtimeAvailable,
  sh,
} from "./support";

describe.runIf(runtimeAvailable)("processes", () => {
  let fixture: GardenFixture;
  let container: Container;
  beforeAll(async () => {
    fixture = await gardenFixture();
    container = await fixture.garden.create({ handle: "procs", env: ["FROM_CONTAINER=yes"] });
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it("passes stdin through and reports stdout, stderr and the exit code separately", async () => {
    const process = await container.run({
      path: "sh",
      args: ["-c", "read line; echo out:$line; echo err:$line >&2; exit 7"],
    });
    const stdin = process.stdin();
    stdin.end("hello\n");
    const [stdout, stderr, code] = await Promise.all([
      readAll(process.stdout()),
      readAll(process.stderr()),
      process.wait(),
    ]);
    expect(stdout).toBe("out:hello\n");
    expect(stderr).toBe("err:hello\n");
    expect(code).toBe(7);
  });

  it("delivers EOF on stdin when the writer ends it", async () => {
    const process = await container.run({ path: "cat" });
    const stdin = process.stdin();
    stdin.write("a");
    stdin.write("b");
    stdin.end();
    expect(await readAll(process.stdout())).toBe("ab");
    expect(await process.wait()).toBe(0);
  });

  it("merges container env, process env, USER/HOME and the working directory", async () => {
    const process = await container.run({
      path: "sh",
      args: ["-c", "echo $FROM_CONTAINER $MINE $USER $HOME; pwd"],
      env: ["MINE=mine"],
      dir: "/tmp",
    });
    expect(await readAll(process.stdout())).toBe("yes mine root /root\n/tmp\n");
  });

  it("runs as a user named in the container's /etc/passwd or given as uid:gid", async () => {
    expect((await sh(container, "id -u; id -g", { user: "nobody" })).stdout).toBe("65534\n65534\n");
    expect((await sh(container, "id -u; id -g", { user: "1234:4321" })).stdout).toBe("1234\n4321\n");
  });

  it("creates a missing working directory, owned by the process's user", async () => {
    const result = await sh(container, "pwd; stat -c '%u:%g' .", {
      user: "nobody",
      dir: "/tmp/made/for/nobody",
    });
    expect(result.stdout).toBe("/tmp/made/for/nobody\n65534:65534\n");
    const denied = await container
      .run({ path: "pwd", user: "nobody", dir: "/etc/not-yours" })
      .catch((e: Error) => e);
    expect(String(denied)).toMatch(/chdir to cwd \("\/etc\/not-yours"\): permission denied/);
  });

  it("reaps orphans: a process whose parent exited leaves no zombie behind", async () => {
    await sh(container, "sh -c 'sleep 0.2 &' ; true");
    // an unreaped orphan would stay in the process table as a "(sleep) Z" zombie
    await eventually(
      async () => !(await sh(container, "cat /proc/[0-9]*/stat")).stdout.includes("(sleep)"),
      5_000,
      "the orphaned sleep gone from the process table",
    );
  });

  it("keeps a chatty process's output files under the cap, and a follower reads on across each move", async () => {
    const capped = await gardenFixture({ outputCapBytes: 64 * 1024 });
    try {
      const chatty = await capped.garden.create({ handle: "chatty" });
      const process = await chatty.run({
        id: "talker",
        path: "sh",
        args: [
          "-c",
          "i=0; while [ $i -lt 6000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done",
        ],
      });
      const lines = (await readAll(process.stdout())).split("\n").filter(Boolean);
      expect(await process.wait()).toBe(0);
      expect(lines.at(-1)).toBe("line-5999-xxxxxxxxxxxxxxxxxxxxxxxx");
      const numbers = lines.map((line) => Number(line.split("-")[1]));
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      const dir = join(capped.config.depotDir, "chatty/processes/talker");
      const [current, previous] = await Promise.all(
        ["stdout", "stdout.1"].map((name) => stat(join(dir, name)).then((info) => info.size)),
      );
      expect(previous).toBeGreaterThan(0);
      expect(Math.max(current ?? 0, previous ?? 0)).toBeLessThanOrEqual(64 * 1024);
    } finally {
      await capped.cleanup();
    }
  });

  it("holds a process's output for an acknowledging reader: it blocks rather than lose output", async () => {
    const capped = await gardenFixture({ outputCapBytes: 128 * 1024 });
    try {
      const box = await capped.garden.create({ handle: "held" });
      // about 2 MB, many times the cap
      const process = await box.run({ id: "seq", path: "seq", args: ["1", "300000"], holdOutput: true });
      const dir = join(capped.config.depotDir, "held/processes/seq");
      // nobody reads: the process cannot finish, and its files stay within the cap
      const exited = await Promise.race([process.wait().then(() => true), sleep(1_500).then(() => false)]);
      expect(exited).toBe(false);
      expect((await stat(join(dir, "stdout"))).size).toBeLessThanOrEqual(128 * 1024);
      const lines = (await readAll(process.stdout({ acknowledge: true }))).split("\n").filter(Boolean);
      expect(await process.wait()).toBe(0);
      expect(lines.length).toBe(300000);
      expect(lines.every((line, i) => line === String(i + 1))).toBe(true);
    } finally {
      await capped.cleanup();
    }
  });

  it("reads output that trickles in as batches when asked to coalesce, losing nothing", async () => {
    const process = await container.run({
      path: "sh",
      args: ["-c", "i=0; while [ $i -lt 100 ]; do echo line-$i; usleep 3000; i=$((i+1)); done"],
    });
    const chunks: string[] = [];
    for await (const chunk of process.stdout({ coalesceMs: 100 })) chunks.push(String(chunk));
    expect(await process.wait()).toBe(0);
    const lines = chunks.join("").split("\n").filter(Boolean);
    expect(lines).toEqual(Array.from({ length: 100 }, (_, i) => `line-${i}`));
    // 100 writes over ≥ 300 ms, read at most every 100 ms: a handful of reads, not one per line.
    expect(chunks.length).toBeLessThan(15);
  });

  it("reads on at once while a coalescing reader finds its buffer full", async () => {
    const process = await container.run({ path: "sh", args: ["-c", "head -c 1048576 /dev/zero"] });
    expect(await process.wait()).toBe(0);
    // All of it is waiting: a reader that paused its coalescing time after each full 64 KiB read
    // would take 16 minutes.
    let bytes = 0;
    for await (const chunk of process.stdout({ coalesceMs: 60_000 })) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(1048576);
  });

  it("runs many processes started at once, each with its own output and exit code", async () => {
    const started = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        container.run({ path: "sh", args: ["-c", `echo ${i}; exit ${i % 7}`] }),
      ),
    );
    const results = await Promise.all(
      started.map(async (process) => [await readAll(process.stdout()), await process.wait()]),
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => [`${i}\n`, i % 7]));
  });

  it("still runs processes when the init's monitor (which forks process monitors) is gone", async () => {
    const orphaned = await fixture.garden.create({ handle: "no-init-monitor" });
    const initDir = `${fixture.config.depotDir}/no-init-monitor/init`;
    const monitorPid = Number(await readFile(`${initDir}/monitor.pid`, "utf8"));
    globalThis.process.kill(monitorPid, "SIGKILL");
    await eventually(
      async () => {
        try {
          globalThis.process.kill(monitorPid, 0);
          return false;
        } catch {
          return true;
        }
      },
      5_000,
      "init monitor gone",
    );
    const result = await sh(orphaned, "echo still here");
    expect(result).toEqual({ stdout: "still here\n", stderr: "", exitCode: 0 });
    await fixture.garden.destroy("no-init-monitor");
    expect(await fixture.garden.containers()).not.toContainEqual(
      expect.objectContaining({ handle: "no-init-monitor" }),
    );
  });

  it("refuses to run a process once the container's init is gone", async () => {
    const doomed = await fixture.garden.create({ handle: "doomed" });
    const initPid = Number(await readFile(`${fixture.config.depotDir}/doomed/init/pid`, "utf8"));
    globalThis.process.kill(initPid, "SIGKILL");
    await eventually(
      async () =>
        (await readFile(`${fixture.config.depotDir}/doomed/init/exitcode`, "utf8").catch(() => "")) !== "",
      5_000,
      "init reaped",
    );
    const error = await doomed.run({ path: "true" }).catch((e: Error) => e);
    expect(String(error)).toMatch(/the container's init does not answer/);
    await fixture.garden.destroy("doomed");
  });

  it("applies rlimits to the process", async () => {
    const process = await container.run({ path: "sh", args: ["-c", "ulimit -n"], rlimits: { nofile: 123 } });
    expect(await readAll(process.stdout())).toBe("123\n");
  });

  it("fails with ExecutableNotFound and the runtime's message for a missing binary", async () => {
    const error = await container.run({ path: "/no/such/binary" }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(ExecutableNotFound);
    expect((error as Error).message).toMatch(/no such file or directory|not found/);
  });

  it("keeps output produced before anyone reads it, and a second handle reads it from the start", async () => {
    const process = await container.run({
      id: "early-bird",
      path: "sh",
      args: ["-c", "echo first; read x; echo second"],
    });
    await eventually(
      async () => (await firstChunk((await container.attach("early-bird")).stdout())) === "first\n",
    );
    const attached = await container.attach("early-bird");
    process.stdin().end("go\n");
    expect(await readAll(attached.stdout())).toBe("first\nsecond\n");
    expect(await attached.wait()).toBe(0);
    expect(await readAll(process.stdout())).toBe("first\nsecond\n");
  });

  it("lets a finished process be attached and waited for", async () => {
    const process = await container.run({ id: "done-already", path: "sh", args: ["-c", "echo bye; exit 4"] });
    await process.wait();
    const attached = await container.attach("done-already");
    expect(await attached.wait()).toBe(4);
    expect(await readAll(attached.stdout())).toBe("bye\n");
  });

  it("rejects attaching to an unknown process and reusing a process id", async () => {
    await expect(container.attach("nobody-here")).rejects.toBeInstanceOf(ProcessNotFound);
    await container.run({ id: "dup", path: "true" });
    await expect(container.run({ id: "dup", path: "true" })).rejects.toThrow(/already in use/);
  });

  it("interrupts, terminates and kills a long-running exec'd process", async () => {
    const interrupted = await container.run({ path: "sleep", args: ["1000"] });
    await interrupted.signal("interrupt");
    expect(await interrupted.wait()).toBe(130);
    const terminated = await container.run({ path: "sleep", args: ["1000"] });
    await terminated.signal("terminate");
    expect(await terminated.wait()).toBe(143);
    const killed = await container.run({
      path: "sh",
      args: ["-c", "trap '' TERM; echo ready; sleep 1000 & wait"],
    });
    await eventually(async () => (await firstChunk(killed.stdout())).includes("ready"), 5_000, "trap set");
    await killed.signal("kill");
    expect(await killed.wait()).toBe(137);
  });

  it("gives a TTY process a terminal of the requested size and resizes it", async () => {
    const process = await container.run({
      path: "sh",
      args: ["-c", "stty size; read x; stty size"],
      tty: { windowSize: { columns: 100, rows: 30 } },
    });
    const output = process.stdout();
    let seen = "";
    output.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
    });
    await eventually(async () => seen.includes("30 100"), 5_000, "first stty size");
    await process.resize({ columns: 132, rows: 43 });
    const stdin = process.stdin();
    stdin.write("\n");
    expect(await process.wait()).toBe(0);
    await eventually(async () => seen.includes("43 132"), 5_000, "second stty size");
    expect(output.readableEnded || seen.includes("43 132")).toBe(true);
  });

  it("reports an error instead of waiting forever when a process's monitor is gone", async () => {
    const process = await container.run({ id: "orphaned", path: "sleep", args: ["1000"] });
    const dir = `${fixture.config.depotDir}/procs/processes/orphaned`;
    const monitorPid = Number(await readFile(`${dir}/monitor.pid`, "utf8"));
    const processPid = Number(await readFile(`${dir}/pid`, "utf8"));
    globalThis.process.kill(monitorPid, "SIGKILL");
    globalThis.process.kill(processPid, "SIGKILL");
    await expect(process.wait()).rejects.toThrow(/monitor of process orphaned is gone/);
  });

  it("lists running processes in info", async () => {
    const process = await container.run({ id: "listed", path: "sleep", args: ["1000"] });
    expect((await container.info()).processIDs).toContain("listed");
    await process.signal("kill");
    await process.wait();
    expect((await container.info()).processIDs).not.toContain("listed");
  });
});
