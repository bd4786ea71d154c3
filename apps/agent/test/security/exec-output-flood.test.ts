import { setTimeout as sleep } from "node:timers/promises";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { expectStatus, startCluster } from "../cluster-harness";

/** `seq 1 N` writes about 200 MB, as fast as the process can. */
const LAST = 22_000_000;

/**
 * Checks a stream of `seq` output chunk by chunk without keeping it: every line must be the number
 * after the one before.
 */
function seqChecker() {
  let carry = "";
  let next = 1;
  let bytes = 0;
  let broken: string | undefined;
  return {
    push(text: string) {
      bytes += text.length;
      const lines = (carry + text).split("\n");
      carry = lines.pop() ?? "";
      for (const line of lines) {
        if (broken) return;
        if (line !== String(next)) broken = `expected ${next}, got ${line.slice(0, 20)}`;
        next += 1;
      }
    },
    result: () => ({ last: next - 1, carry, broken, bytes }),
  };
}

describeWith(["root", "runc", "postgres", "nats", "network"], "security: exec output flood", () => {
  it("a process writing ~200 MB as fast as it can to a slow reader keeps the api's NATS connection up, its memory bounded and every byte in order", {
    timeout: 300_000,
  }, async ({ pg, nats }) => {
    const c = await startCluster(pg, nats, { cellCount: 1 });
    await c.pushWeb("web", 1);
    await c.running("web", 1);
    const statuses: string[] = [];
    void (async () => {
      for await (const s of c.t.nc.status()) statuses.push(s.type);
    })();

    const created = (await expectStatus(
      await c.call("/v1/apps/web/instances/0/exec", {
        method: "POST",
        json: { command: ["seq", "1", String(LAST)] },
      }),
      201,
    )) as { exec_id: string };
    const res = await c.call(`/v1/execs/${created.exec_id}/output`);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const check = seqChecker();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let sse = "";
    let exit: string | undefined;
    let chunks = 0;
    // slow at first: the process runs far ahead of a reader that does not read
    await sleep(3_000);
    while (exit === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      sse += decoder.decode(value, { stream: true });
      let cut = sse.indexOf("\n\n");
      while (cut >= 0) {
        const block = sse.slice(0, cut);
        sse = sse.slice(cut + 2);
        const event = /^event: (\w+)/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? "{}";
        if (event === "output") {
          check.push(Buffer.from((JSON.parse(data) as { data: string }).data, "base64").toString("latin1"));
        } else if (event === "exit") exit = data;
        cut = sse.indexOf("\n\n");
      }
      if (++chunks % 256 === 0) {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        await sleep(5); // and slow all along
      }
    }

    expect(check.result()).toMatchObject({ last: LAST, carry: "", broken: undefined });
    expect(exit).toBe(JSON.stringify({ exit_code: 0 }));
    const trouble = ["disconnect", "reconnecting", "slowConsumer", "staleConnection", "error", "close"];
    expect(statuses.filter((s) => trouble.includes(s))).toEqual([]);
    expect(c.t.nc.isClosed()).toBe(false);
    // the api lives in this process: without flow control it would hold most of the output
    expect(rssPeak - rssBefore).toBeLessThan(100 * 1024 * 1024);
  });
});
