/**
 * Pull benchmark: a cold pull of a 5-layer image of ~200 MB (random bytes, so compression cannot
 * shrink it; built here and pushed to Debian's docker-registry on loopback) by @grove/images into
 * an empty store, against `skopeo copy` of the same image to a directory, in the same run and
 * alternating. Grove's figure that compares with skopeo is the fetch (every blob streamed to disk
 * and verified: the moment the pull's progress reaches its total); the whole pull (also unpacking
 * the layers into a rootfs) is shown beside `skopeo copy` to an OCI layout + `umoci unpack`.
 * Also the pull's peak RSS growth, to show no layer is held in memory. Target: fetch ≤ 1.2× skopeo.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { runChild } from "@grove/child";
import { createImages } from "@grove/images";
import { type BuiltImage, OCI_MANIFEST, pushImage, startRegistry } from "@grove/images/testing";
import { makeTempDir } from "@grove/testkit/services";
import { pack } from "tar-stream";
import { report } from "./lib";

const LAYERS = Number(process.env.BENCH_PULL_LAYERS ?? 5);
const LAYER_MB = Number(process.env.BENCH_PULL_LAYER_MB ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const sha = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function tarOfFile(name: string, body: Buffer): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of packer) chunks.push(Buffer.from(chunk as Uint8Array));
  })();
  packer.entry({ name, mode: 0o644, size: body.length }, body);
  packer.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function bigImage(): Promise<BuiltImage> {
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < LAYERS; i++) {
    const tar = await tarOfFile(`data/layer-${i}.bin`, randomBytes(LAYER_MB * 1024 * 1024));
    diffIds.push(sha(tar));
    const gz = gzipSync(tar, { level: 1 });
    layers.push({ bytes: gz, digest: sha(gz), mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" });
  }
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["/bin/sh"] },
      rootfs: { type: "layers", diff_ids: diffIds },
    }),
  );
  const config = {
    bytes: configBytes,
    digest: sha(configBytes),
    mediaType: "application/vnd.oci.image.config.v1+json",
  };
  const descriptor = (b: { bytes: Buffer; digest: string; mediaType: string }) => ({
    mediaType: b.mediaType,
    digest: b.digest,
    size: b.bytes.length,
  });
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: descriptor(config),
      layers: layers.map(descriptor),
    }),
  );
  return {
    config,
    layers,
    manifest: { bytes: manifestBytes, digest: sha(manifestBytes), mediaType: OCI_MANIFEST },
  };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export async function main(): Promise<string> {
  const temp = await makeTempDir("grove-bench-pull-");
  const registry = await startRegistry();
  try {
    let image: BuiltImage | undefined = await bigImage();
    const totalBytes = [image.config, ...image.layers].reduce((sum, b) => sum + b.bytes.length, 0);
    await pushImage(registry.host, "bench/pull", "v1", [image]);
    image = undefined; // the blobs leave this process's memory before anything is measured
    const ref = `${registry.host}/bench/pull:v1`;
    const skopeoCopy = (dest: string) =>
      runChild("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, dest], {
        hint: "npm run setup installs skopeo",
      });
    const figures = {
      skopeoMs: [] as number[],
      fetchMs: [] as number[],
      fetchCpuMs: [] as number[],
      pullMs: [] as number[],
      skopeoUmociMs: [] as number[],
    };
    let peakRssGrowth = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(temp.path, `round-${round}`);
      await mkdir(dir, { recursive: true });
      figures.skopeoMs.push(await timed(() => skopeoCopy(`dir:${join(dir, "skopeo-dir")}`)));

      const images = createImages({ storeDir: join(dir, "store") });
      (globalThis as { gc?: () => void }).gc?.();
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      let fetched = Number.NaN;
      await images.pull({ uri: `docker://${registry.host}/bench/pull#v1` }, (p) => {
        if (p.bytes !== p.total || !Number.isNaN(fetched)) return;
        fetched = performance.now() - started;
        const cpu = process.cpuUsage(cpuBefore);
        figures.fetchCpuMs.push((cpu.user + cpu.system) / 1000);
      });
      figures.pullMs.push(performance.now() - started);
      figures.fetchMs.push(fetched);
      clearInterval(sampler);
      peakRssGrowth = Math.max(peakRssGrowth, peak - rssBefore);

      const layout = join(dir, "layout");
      figures.skopeoUmociMs.push(
        await timed(async () => {
          await skopeoCopy(`oci:${layout}:v1`);
          await runChild("umoci", ["unpack", "--image", `${layout}:v1`, join(dir, "bundle")], {
            hint: "npm run setup installs umoci",
          });
        }),
      );
      await rm(dir, { recursive: true, force: true });
    }
    const skopeo = median(figures.skopeoMs);
    const fetch = median(figures.fetchMs);
    const pull = median(figures.pullMs);
    const skopeoUmoci = median(figures.skopeoUmociMs);
    const mb = totalBytes / 1e6;
    // each round's grove fetch against the skopeo copy just before it: load shifts both alike
    const pairedRatio = median(figures.fetchMs.map((ms, i) => ms / (figures.skopeoMs[i] ?? Number.NaN)));
    const load = loadavg()[0] ?? 0;
    const rows: [string, string | number][] = [
      ["image", `${LAYERS} layers, ${mb.toFixed(1)} MB (gzip of random bytes)`],
      ["rounds (medians below)", ROUNDS],
      ["skopeo copy → dir (ms)", skopeo],
      ["grove fetch: blobs on disk, verified (ms)", fetch],
      ["grove fetch / skopeo (target ≤ 1.2)", fetch / skopeo],
      ["median of each round's fetch / skopeo", pairedRatio],
      ["grove fetch CPU, this process (ms)", median(figures.fetchCpuMs)],
      ["grove fetch MB/s", mb / (fetch / 1000)],
      ["skopeo copy → oci + umoci unpack (ms)", skopeoUmoci],
      ["grove pull: fetch + unpack (ms)", pull],
      ["grove pull / (skopeo + umoci)", pull / skopeoUmoci],
      ["grove pull peak RSS growth (MB)", peakRssGrowth / 1e6],
      ["load average (1 min) at the end", load],
      ["note", "figures taken under load (≫ 2 cores) need a quiet re-run"],
    ];
    return report("pull", rows, {
      image: { layers: LAYERS, bytes: totalBytes },
      rounds: ROUNDS,
      ms: figures,
      median_ms: {
        skopeo_copy_dir: skopeo,
        grove_fetch: fetch,
        skopeo_copy_umoci_unpack: skopeoUmoci,
        grove_pull: pull,
      },
      ratio_fetch_to_skopeo: fetch / skopeo,
      median_round_ratio_fetch_to_skopeo: pairedRatio,
      load_average_1m: load,
      note: "figures taken under load (load average well above the 2 cores) need a quiet re-run",
      ratio_pull_to_skopeo_umoci: pull / skopeoUmoci,
      target_ratio: 1.2,
      peak_rss_growth_bytes: peakRssGrowth,
    });
  } finally {
    await registry.stop();
    await temp.remove();
  }
}
