/**
 * Network policy benchmark, on real cells (network namespaces as hosts, the garden networker, the
 * agent's policy enforcer) with a cluster-sized slice: 1,000 policies between 500 apps holding
 * 2,000 container addresses (synthetic set entries, plus two real containers), and 100 egress rules.
 * - Enforcement latency: from an apply-policy command carrying one changed policy to the new rules
 *   in the kernel (one nft transaction, conntrack pass included), p50/p99; then one real connection
 *   the new policy allows is checked. The api → cell leg (a NATS announcement and a push) is
 *   measured by the api and agent tests (< 2 s from the API call to a working connection).
 * - New connections/s between two containers through the enforcing cell vs a cell with no rules
 *   (open bridge, no br_netfilter), in the same run; target ratio >= 0.6.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createNetworker } from "@grove/garden";
import type { PolicySlice } from "@grove/protocol";
import { createTestNetwork, makeTempDir } from "@grove/testkit/services";
import { execa, type ResultPromise } from "execa";
import { pino } from "pino";
import { NetworkPolicyEnforcer } from "../apps/agent/src/network-policy";
import { percentile, report } from "./lib";

const CHANGES = Number(process.env.BENCH_RUNS ?? 40);
const POLICIES = 1_000;
const APPS = 500;
const ADDRESSES = 2_000;
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const CONCURRENCY = 8;
const PORT = 9100;

const SERVER = `require("node:net").createServer((c) => c.end("k")).listen(${PORT}, () => console.log("listening"));`;

/** Opens, reads one byte, closes — as many times as it can for the given seconds, CONCURRENCY at once. */
const CLIENT = `
const net = require("node:net");
const [host, seconds, concurrency] = process.argv.slice(1);
const until = Date.now() + Number(seconds) * 1000;
let done = 0, failed = 0;
function one() {
  if (Date.now() >= until) return Promise.resolve();
  return new Promise((resolve) => {
    const c = net.connect({ host, port: ${PORT} });
    c.setTimeout(2000, () => { failed++; c.destroy(); resolve(); });
    c.on("error", () => { failed++; resolve(); });
    c.on("data", () => {});
    c.on("end", () => { done++; resolve(); });
  }).then(one);
}
Promise.all(Array.from({ length: Number(concurrency) }, one)).then(() => console.log(JSON.stringify({ done, failed })));
`;

function nsNode(netns: string, script: string, args: string[] = []): ResultPromise {
  return execa("nsenter", [`--net=${netns}`, "--", "node", "-e", script, ...args], { reject: false });
}

/** The server process, boxed: a ResultPromise returned from an async function would be awaited. */
async function startServer(netns: string): Promise<{ child: ResultPromise }> {
  const child = execa("nsenter", [`--net=${netns}`, "--", "node", "-e", SERVER], {
    reject: false,
    buffer: false,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start")), 10_000);
    child.stdout?.on("data", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { child };
}

async function connectionsPerSecond(
  from: string,
  host: string,
): Promise<{ perSecond: number; failed: number }> {
  const out = await nsNode(from, CLIENT, [host, String(LOAD_SECONDS), String(CONCURRENCY)]);
  const { done, failed } = JSON.parse(String(out.stdout)) as { done: number; failed: number };
  return { perSecond: done / LOAD_SECONDS, failed };
}

/** 500 apps × 4 addresses (synthetic) and 1,000 policies among them; `extra` policies appended. */
function bigSlice(real: { client: string; server: string }, revision: number, extra: number): PolicySlice {
  const apps = Array.from({ length: APPS }, (_, i) => ({
    appId: `app-${i}`,
    addresses: Array.from(
      { length: ADDRESSES / APPS },
      (_, k) => `10.${100 + (i % 100)}.${Math.floor(i / 100)}.${k + 2}`,
    ),
  }));
  apps.push({ appId: "client", addresses: [real.client] }, { appId: "server", addresses: [real.server] });
  const rules: PolicySlice["rules"] = Array.from({ length: POLICIES - 1 }, (_, i) => ({
    sourceAppId: `app-${i % APPS}`,
    destinationAppId: `app-${(i * 7 + 1) % APPS}`,
    protocol: i % 5 === 0 ? ("udp" as const) : ("tcp" as const),
    ports: { start: 8000 + (i % 50), end: 8000 + (i % 50) },
  }));
  rules.push({
    sourceAppId: "client",
    destinationAppId: "server",
    protocol: "tcp",
    ports: { start: PORT, end: PORT },
  });
  for (let i = 0; i < extra; i++) {
    rules.push({
      sourceAppId: "client",
      destinationAppId: "server",
      protocol: "tcp",
      ports: { start: 20_000 + i, end: 20_000 + i },
    });
  }
  const egress = {
    groups: [{ id: "tenant-a", addresses: apps.slice(0, 100).flatMap((a) => a.addresses) }],
    rules: Array.from({ length: 100 }, (_, i) => ({
      group: "tenant-a",
      network: `198.18.${i}.0/24`,
      protocol: "tcp" as const,
      ports: { start: 443, end: 443 },
    })),
    controlPlane: [{ network: "10.0.0.1", ports: { start: 4222, end: 4222 } }],
  };
  return { revision, apps, rules, egress };
}

export async function main(): Promise<string> {
  const log = pino({ level: "warn" });
  const world = await createTestNetwork();
  const temp = await makeTempDir("grove-bench-policy-");
  const children: ResultPromise[] = [];
  const networkers: { destroyAll(): Promise<void> }[] = [];
  try {
    const [enforcingHost, openHost] = [await world.addHost(), await world.addHost()];
    const cell = (host: typeof enforcingHost, name: string, subnet: string, isolate: boolean) => {
      const net = createNetworker({
        stateDir: `${temp.path}/${name}`,
        bridge: `${name}br`,
        subnet,
        name,
        externalIP: host.address,
        hostNetns: host.netnsPath,
        isolateContainers: isolate,
        log,
      });
      networkers.push(net);
      return net;
    };
    const id = randomBytes(2).toString("hex");
    const enforcing = cell(enforcingHost, `bpe${id}`, "10.251.0.0/24", true);
    const open = cell(openHost, `bpo${id}`, "10.251.1.0/24", false);
    const [ec, es] = [await enforcing.up(`bpe${id}-c`, {}), await enforcing.up(`bpe${id}-s`, {})];
    const [oc, os] = [await open.up(`bpo${id}-c`, {}), await open.up(`bpo${id}-s`, {})];
    children.push((await startServer(es.netnsPath)).child, (await startServer(os.netnsPath)).child);

    const enforcer = new NetworkPolicyEnforcer((p) => enforcing.setPolicy(p), [openHost.address], log);
    await enforcer.apply(bigSlice({ client: ec.containerIP, server: es.containerIP }, 1, 0));
    const applyMs: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const command = bigSlice({ client: ec.containerIP, server: es.containerIP }, i + 2, (i % 2) + 1);
      const started = performance.now();
      await enforcer.apply(command);
      applyMs.push(performance.now() - started);
    }
    // the enforced slice lets the real client through, and nothing else in
    const probe = await connectionsPerSecond(ec.netnsPath, es.containerIP);
    if (probe.perSecond === 0) throw new Error("the allowed connection did not pass");

    await sleep(200);
    const openRate = await connectionsPerSecond(oc.netnsPath, os.containerIP);
    const enforcingRate = await connectionsPerSecond(ec.netnsPath, es.containerIP);
    const ratio = enforcingRate.perSecond / openRate.perSecond;
    return report(
      "policy",
      [
        ["policies / addresses / egress rules in the slice", `${POLICIES} / ${ADDRESSES + 2} / 100`],
        ["changes applied", CHANGES],
        ["apply-policy → enforced on the cell, p50 ms", percentile(applyMs, 50)],
        ["apply-policy → enforced on the cell, p99 ms", percentile(applyMs, 99)],
        ["new connections/s, enforcing cell", enforcingRate.perSecond],
        ["new connections/s, no rules (baseline)", openRate.perSecond],
        ["ratio enforcing / no rules", ratio],
        ["failed connections (enforcing / no rules)", `${enforcingRate.failed} / ${openRate.failed}`],
        ["target", "ratio >= 0.6; api call → enforced < 2 s (tests)"],
      ],
      {
        policies: POLICIES,
        addresses: ADDRESSES + 2,
        egress_rules: 100,
        changes: CHANGES,
        apply_p50_ms: percentile(applyMs, 50),
        apply_p99_ms: percentile(applyMs, 99),
        connections_per_second_enforcing: enforcingRate.perSecond,
        connections_per_second_no_rules: openRate.perSecond,
        ratio,
        failed_enforcing: enforcingRate.failed,
        failed_no_rules: openRate.failed,
        concurrency: CONCURRENCY,
        load_seconds: LOAD_SECONDS,
      },
    );
  } finally {
    for (const child of children) child.kill("SIGKILL");
    await Promise.allSettled(children);
    for (const net of networkers) await net.destroyAll().catch(() => undefined);
    await world.remove().catch(() => undefined);
    await temp.remove().catch(() => undefined);
  }
}
