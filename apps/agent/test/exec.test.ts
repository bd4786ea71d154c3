import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { type Cluster, eventually, expectStatus, startCluster } from "./cluster-harness";
import { readOutput } from "./exec-in";

async function exec(c: Cluster, body: Record<string, unknown>): Promise<string> {
  const created = (await expectStatus(
    await c.call("/v1/apps/web/instances/0/exec", { method: "POST", json: body }),
    201,
  )) as { exec_id: string };
  return created.exec_id;
}

describeWith(["root", "runc", "postgres", "nats", "network"], "grove exec on a real cell", () => {
  it("runs a command as vcap in the app's directory with stdin, separate stdout/stderr and its exit code", async ({
    pg,
    nats,
  }) => {
    const c = await startCluster(pg, nats, { cellCount: 1 });
    await c.pushWeb("web", 1);
    await c.running("web", 1);

    const id = await exec(c, { command: ["sh", "-c", "read x; echo got:$x; echo err >&2; exit 3"] });
    const output = c.call(`/v1/execs/${id}/output`).then(readOutput);
    const stdin = await c.call(`/v1/execs/${id}/stdin?eof=true`, {
      method: "POST",
      body: Buffer.from("hello\n"),
    });
    expect(stdin.status).toBe(204);
    expect(await output).toEqual({ stdout: "got:hello\n", stderr: "err\n", exitCode: 3 });

    const where = await exec(c, { command: ["sh", "-c", "id -un; pwd; echo $INSTANCE_INDEX $PORT"] });
    expect(await readOutput(await c.call(`/v1/execs/${where}/output`))).toEqual({
      stdout: "vcap\n/home/vcap/app\n0 8080\n",
      stderr: "",
      exitCode: 0,
    });

    const tty = await exec(c, { command: ["stty", "size"], tty: { columns: 123, rows: 45 } });
    const sized = await readOutput(await c.call(`/v1/execs/${tty}/output`));
    expect(sized.stdout.trim()).toBe("45 123");
    expect(sized.exitCode).toBe(0);

    const other = await c.t.tenantWithToken("other");
    expect((await c.t.call(`/v1/execs/${id}/output`, { token: other })).status).toBe(404);
    expect(
      (await c.t.call(`/v1/execs/${id}/signal`, { method: "POST", token: other, json: { signal: "kill" } }))
        .status,
    ).toBe(404);
  });

  it("delivers Ctrl-C as SIGINT to a long-running command, and kills one whose client left", async ({
    pg,
    nats,
  }) => {
    const c = await startCluster(pg, nats, { cellCount: 1 });
    await c.pushWeb("web", 1);
    await c.running("web", 1);
    const id = await exec(c, { command: ["sleep", "100"] });
    const started = Date.now();
    const output = c.call(`/v1/execs/${id}/output`).then(readOutput);
    const signal = await c.call(`/v1/execs/${id}/signal`, { method: "POST", json: { signal: "interrupt" } });
    expect(signal.status).toBe(204);
    const result = await output;
    expect(result.exitCode).toBe(128 + 2);
    expect(Date.now() - started).toBeLessThan(30_000);

    // a client that goes away before the process ends takes it along, as an ssh session does
    const orphan = await exec(c, { command: ["sleep", "100"] });
    const first = await c.call(`/v1/execs/${orphan}/output`);
    expect(first.status).toBe(200);
    await first.body?.cancel();
    const again = await eventually(async () => {
      const r = await readOutput(await c.call(`/v1/execs/${orphan}/output`));
      return r.exitCode === undefined ? undefined : r;
    }, 30_000);
    expect(again.exitCode).toBe(128 + 9);
  });

  it("takes up a running exec again after its agent was killed and started again", async ({ pg, nats }) => {
    const c = await startCluster(pg, nats, { cellCount: 1 });
    await c.pushWeb("web", 1);
    await c.running("web", 1);
    const id = await exec(c, { command: ["sh", "-c", "echo before; read x; echo got:$x; exit 4"] });
    const cell = c.cells[0];
    await cell?.kill("SIGKILL");
    await cell?.start();
    expect(cell?.logs.some((line) => line.includes('"took up running execs"'))).toBe(true);
    const output = c.call(`/v1/execs/${id}/output`).then(readOutput);
    const stdin = await eventually(async () => {
      const r = await c.call(`/v1/execs/${id}/stdin?eof=true`, {
        method: "POST",
        body: Buffer.from("hello\n"),
      });
      return r.status === 204 ? r : undefined;
    }, 10_000);
    expect(stdin.status).toBe(204);
    expect(await output).toEqual({ stdout: "before\ngot:hello\n", stderr: "", exitCode: 4 });
  });
});
