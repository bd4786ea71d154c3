/**
 * Push latency on a real single node (started as `npm start` starts it): time from `grove push`
 * of examples/hello to the first 200 through the router, p50/p99 over BENCH_PUSHES pushes (≥ 10),
 * each as a new app. The baseline in the same run is the same push with `--detach` (pack, upload
 * check, create: the part that does not wait for a container). Target: p50 under 2 s.
 */
import { request } from "node:http";
import { join } from "node:path";
import { startSingleNode } from "../infra/single-node-process";
import { percentile, report } from "./lib";

const PUSHES = Math.max(10, Number(process.env.BENCH_PUSHES ?? 10));
const example = join(import.meta.dirname, "../examples/hello");

function status(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

export async function main(): Promise<string> {
  const node = await startSingleNode();
  try {
    const toServing: number[] = [];
    const detached: number[] = [];
    for (let i = 0; i < PUSHES; i++) {
      const name = `bench${i}`;
      const started = performance.now();
      await node.grove(["push", example, "--name", name]);
      while ((await status(node.routerPort, `${name}.default.grove.localhost`)) !== 200) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      toServing.push(performance.now() - started);
      await node.grove(["delete", name, "--force"]);

      const detachedStart = performance.now();
      await node.grove(["push", example, "--name", `${name}d`, "--detach"]);
      detached.push(performance.now() - detachedStart);
      await node.grove(["delete", `${name}d`, "--force"]);
    }
    const p50 = percentile(toServing, 50);
    return report(
      "push",
      [
        ["pushes", PUSHES],
        ["push → first 200 via router, p50 ms", p50],
        ["push → first 200 via router, p99 ms", percentile(toServing, 99)],
        ["first push (cold caches) ms", toServing[0] ?? Number.NaN],
        ["baseline: push --detach p50 ms", percentile(detached, 50)],
        ["target", "p50 < 2000 ms"],
      ],
      {
        pushes: PUSHES,
        p50_ms: p50,
        p99_ms: percentile(toServing, 99),
        first_ms: toServing[0],
        detach_p50_ms: percentile(detached, 50),
      },
    );
  } finally {
    await node.stop();
  }
}
