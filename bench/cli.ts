/**
 * The cost of Grove's processes themselves, built (`npm run build`) vs run from sources through tsx
 * in the same run:
 * - `grove apps list` against a running single node, p50/p99 wall over BENCH_CLI_RUNS runs, started
 *   as a user's shell starts it (`node_modules/.bin/grove`, through its `#!` line), with `node -e 0`
 *   as the floor (target: built p50 ≤ 150 ms); when NODE_EXTRA_CA_CERTS is set, also `node -e 0`
 *   without it (Node 20 loads it at every start; grove's launcher defers it to https requests);
 * - the single node's total memory (PSS) at rest (its supervisor, postgres, NATS, api, agent, router and
 *   router workers; app containers apart), after the example app is up (target: built ≤ 400 MB).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { type SingleNode, startSingleNode } from "../infra/single-node-process";
import { percentile, report } from "./lib";

const RUNS = Math.max(5, Number(process.env.BENCH_CLI_RUNS ?? 20));
const root = join(import.meta.dirname, "..");

/** the installed `grove`, a link to apps/cli/bin/grove.js as npm makes it */
const grove = join(root, "node_modules/.bin/grove");

async function wallTimes(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await execa(file, args, { env, extendEnv: false });
    times.push(performance.now() - started);
  }
  return times;
}

/** pid → [ppid, rss kB, command name] of every process */
function processTable(): Map<number, { ppid: number; rssKb: number; comm: string }> {
  const table = new Map<number, { ppid: number; rssKb: number; comm: string }>();
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      // proportional set size: shared pages (postgres's shared buffers, Node's binary) count once in all
      const rssKb = Number(
        readFileSync(`/proc/${name}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m)?.[1] ?? 0,
      );
      table.set(Number(name), { ppid, rssKb, comm });
    } catch {
      // ended while we looked
    }
  }
  return table;
}

/** PSS in MB of `pid` and its descendants, by command name, without containers (runc's children) */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(1, 3).join(" ");
  } catch {
    return "";
  }
}

function treeRss(pid: number): {
  totalMb: number;
  byCommand: Record<string, number>;
  processes: { pid: number; comm: string; mb: number }[];
} {
  const table = processTable();
  const inTree = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, info] of table) {
      if (!inTree.has(p) && inTree.has(info.ppid) && !["runc", "grove-monitor"].includes(info.comm)) {
        inTree.add(p);
        grew = true;
      }
    }
  }
  const byCommand: Record<string, number> = {};
  const processes: { pid: number; comm: string; mb: number }[] = [];
  let total = 0;
  for (const p of inTree) {
    const info = table.get(p);
    if (!info) continue;
    byCommand[info.comm] = (byCommand[info.comm] ?? 0) + info.rssKb / 1024;
    processes.push({ pid: p, comm: `${info.comm} ${cmdline(p)}`.slice(0, 120), mb: info.rssKb / 1024 });
    total += info.rssKb / 1024;
  }
  return { totalMb: total, byCommand, processes };
}

async function measure(fromSource: boolean): Promise<{ list: number[]; rss: ReturnType<typeof treeRss> }> {
  if (fromSource) process.env.GROVE_FROM_SOURCE = "1";
  else delete process.env.GROVE_FROM_SOURCE;
  let node: SingleNode | undefined;
  try {
    node = await startSingleNode();
    const env = { ...process.env, ...node.env, ...(fromSource ? { GROVE_FROM_SOURCE: "1" } : {}) };
    const list = await wallTimes(grove, ["apps", "list"], env);
    // at rest: the example app is running and nothing is asked of the node
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    return { list, rss: treeRss(node.pid) };
  } finally {
    await node?.stop();
    delete process.env.GROVE_FROM_SOURCE;
  }
}

export async function main(): Promise<string> {
  execFileSync(process.execPath, [join(root, "infra/build.mjs")], { stdio: "inherit" });
  const floor = await wallTimes(process.execPath, ["-e", "0"], process.env);
  const { NODE_EXTRA_CA_CERTS: extraCa, ...withoutExtraCa } = process.env;
  const bareFloor = extraCa ? await wallTimes(process.execPath, ["-e", "0"], withoutExtraCa) : undefined;
  const built = await measure(false);
  const source = await measure(true);
  const p50 = (v: number[]) => percentile(v, 50);
  const p99 = (v: number[]) => percentile(v, 99);
  return report(
    "cli",
    [
      ["node -e 0 p50 (ms)", p50(floor)],
      ...(bareFloor
        ? [["node -e 0 without NODE_EXTRA_CA_CERTS p50 (ms)", p50(bareFloor)] as [string, number]]
        : []),
      ["grove apps list, built p50 (ms)", p50(built.list)],
      ["grove apps list, built p99 (ms)", p99(built.list)],
      ["grove apps list, tsx p50 (ms)", p50(source.list)],
      // on a busy machine every start is slower: this is what Grove adds to Node's own start
      // (over the floor without NODE_EXTRA_CA_CERTS, when set: grove's #! line starts Node without it)
      [
        `built p50 over node -e 0${bareFloor ? " without NODE_EXTRA_CA_CERTS" : ""} p50 (ms)`,
        p50(built.list) - p50(bareFloor ?? floor),
      ],
      ["target built p50 ≤ 150 ms", p50(built.list) <= 150 ? "met" : "not met"],
      ["single node memory (PSS) at rest, built (MB)", built.rss.totalMb],
      ["single node memory (PSS) at rest, tsx (MB)", source.rss.totalMb],
      ["target built PSS ≤ 400 MB", built.rss.totalMb <= 400 ? "met" : "not met"],
    ],
    {
      runs: RUNS,
      node_floor_ms: { p50: p50(floor), p99: p99(floor) },
      node_extra_ca_certs: extraCa ?? null,
      ...(bareFloor
        ? { node_floor_without_extra_ca_certs_ms: { p50: p50(bareFloor), p99: p99(bareFloor) } }
        : {}),
      apps_list_ms: {
        built: { p50: p50(built.list), p99: p99(built.list) },
        tsx: { p50: p50(source.list), p99: p99(source.list) },
      },
      rss_at_rest_mb: {
        built: built.rss,
        tsx: source.rss,
      },
      targets: { apps_list_p50_ms: 150, rss_at_rest_mb: 400 },
    },
  );
}
