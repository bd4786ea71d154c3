/**
 * Runtime benchmark: what the garden adds on top of plain runc, measured in the same run.
 *
 *   npx tsx bench/runtime.ts [--iterations 20] [--json bench/runtime.json]
 *
 * - create+destroy: garden.create + garden.destroy (rootfs, bundle, monitor, init) vs
 *   `runc run` of the same generated config with `true` as the process (no monitor, rootfs reused)
 * - run+wait: container.run("true") + wait() under a monitor vs plain `runc exec <id> true`
 * - monitor memory: resident set of one monitor process
 * Needs root, runc and a C compiler. Leaves nothing behind.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createImages } from "@grove/images";
import { execa } from "execa";
import pino from "pino";
import { CgroupV1 } from "../src/cgroups/cgroups-v1";
import { createGarden } from "../src/index";

const { values } = parseArgs({
  options: { iterations: { type: "string", default: "20" }, json: { type: "string" } },
});
const iterations = Number(values.iterations);

interface Row {
  operation: string;
  gardenMs: number;
  baselineMs: number;
  ratio: number;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const dir = await mkdtemp(join(tmpdir(), "gb-"));
await chmod(dir, 0o755);
const runtimeRoot = join(dir, "runc");
const cgroupParent = `grove-bench-${process.pid}`;
const images = createImages({ storeDir: join(dir, "images") });
const garden = await createGarden(
  { depotDir: join(dir, "depot"), runtimeRoot, cgroupParent, logger: pino({ level: "silent" }) },
  { volumizer: images },
);
const runc = (...args: string[]) => execa("runc", ["--root", runtimeRoot, ...args]);

try {
  const rows: Row[] = [];
  // Warm the image store so neither side pays for building the base layers.
  await garden.destroy((await garden.create({ handle: "warm" })).handle);

  const gardenCreate: number[] = [];
  for (let i = 0; i < iterations; i++) {
    gardenCreate.push(
      await time(async () => garden.destroy((await garden.create({ handle: `c${i}` })).handle)),
    );
  }

  const template = await garden.create({ handle: "template" });
  const config = JSON.parse(await readFile(join(dir, "depot/template/bundle/config.json"), "utf8"));
  const rawCreate: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const bundle = join(dir, `raw-${i}`);
    await mkdir(bundle);
    config.process.args = ["/bin/true"];
    config.linux.cgroupsPath = `/${cgroupParent}/raw-${i}`;
    await writeFile(join(bundle, "config.json"), JSON.stringify(config));
    rawCreate.push(await time(() => runc("run", "--bundle", bundle, `raw-${i}`)));
  }
  rows.push(row("create + destroy container", gardenCreate, rawCreate));

  const gardenRun: number[] = [];
  const rawExec: number[] = [];
  for (let i = 0; i < iterations; i++) {
    gardenRun.push(await time(async () => (await template.run({ path: "/bin/true" })).wait()));
    rawExec.push(await time(() => runc("exec", "template", "/bin/true")));
  }
  rows.push(row("run process + wait", gardenRun, rawExec));

  const sleeper = await template.run({ id: "sleeper", path: "sleep", args: ["60"] });
  const monitorPid = (
    await readFile(join(dir, "depot/template/processes/sleeper/monitor.pid"), "utf8")
  ).trim();
  const status = await readFile(`/proc/${monitorPid}/status`, "utf8");
  const monitorRssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  await sleeper.signal("kill");

  console.log(`garden runtime benchmark, ${iterations} iterations, medians`);
  console.table(
    rows.map((r) => ({
      operation: r.operation,
      "garden ms": r.gardenMs.toFixed(1),
      "runc ms": r.baselineMs.toFixed(1),
      ratio: r.ratio.toFixed(2),
    })),
  );
  console.log(`monitor resident memory: ${monitorRssKb} KiB per process`);
  if (values.json) {
    await writeFile(values.json, `${JSON.stringify({ iterations, rows, monitorRssKb }, null, 2)}\n`);
  }
} finally {
  for (const container of await garden.containers({}, { includeIncomplete: true })) {
    await garden.destroy(container.handle).catch(() => {});
  }
  await garden.close();
  const listed = await execa("runc", ["--root", runtimeRoot, "list", "-q"], { reject: false });
  for (const id of listed.stdout.split("\n").filter(Boolean)) {
    await execa("runc", ["--root", runtimeRoot, "delete", "--force", id], { reject: false });
  }
  for (const handle of await images.handles()) await images.destroy(handle).catch(() => {});
  await new CgroupV1(`/${cgroupParent}`).remove();
  await rm(dir, { recursive: true, force: true });
}

function row(operation: string, garden: number[], baseline: number[]): Row {
  const gardenMs = median(garden);
  const baselineMs = median(baseline);
  return { operation, gardenMs, baselineMs, ratio: gardenMs / baselineMs };
}
