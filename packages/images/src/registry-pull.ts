import { readFile, stat } from "node:fs/promises";
import { mapBounded } from "@grove/async";
import { parseDockerUri, type RegistryRef, registryScheme } from "./docker-uri";
import { InvalidImage, RegistryError } from "./errors";
import { blobPath, ensureUnpackedLayers, partialBlobPath } from "./layer-store";
import {
  type Descriptor,
  type ImageRunConfig,
  imageDefaults,
  imageRunConfig,
  isIndex,
  parseManifest,
  pickPlatform,
} from "./oci-manifest";
import { RegistryClient, type RegistryClientOptions, type RegistryCredentials } from "./registry-client";
import type { ResolveContext, ResolvedImage } from "./resolve-image";
import { markUsed } from "./store-gc";
import type { ImageRef, PullProgress } from "./types";

/** Downloads under way in this process, by blob path: a second pull of the blob joins the first. */
const downloads = new Map<string, Promise<void>>();

/** The blob's path in the store, downloading it (or the rest of an earlier partial download) first. */
async function cachedBlob(
  ctx: ResolveContext,
  client: RegistryClient,
  blob: Descriptor,
  onBytes: (bytes: number) => void = () => {},
): Promise<string> {
  const path = blobPath(ctx.storeDir, blob.digest);
  if (!(await markUsed(path))) {
    let running = downloads.get(path);
    if (!running) {
      const options = { onBytes, ...(blob.size !== undefined ? { size: blob.size } : {}) };
      running = client
        .downloadBlob(blob.digest, path, partialBlobPath(ctx.storeDir, blob.digest), options)
        .finally(() => downloads.delete(path));
      downloads.set(path, running);
    }
    await running;
  }
  onBytes(blob.size ?? (await stat(path)).size);
  return path;
}

/**
 * Sums each blob's bytes into one figure for the whole pull, told at most every `everyMs`; the
 * figure a throttled report held back is told when the interval is up, so a stalled download's
 * last bytes are seen too. `stop` ends the telling (a pull that failed says no more).
 */
function progressOf(total: number, report: ((p: PullProgress) => void) | undefined, everyMs = 250) {
  const done = new Map<string, number>();
  let told = 0;
  let sum = 0;
  let held: NodeJS.Timeout | undefined;
  const tell = () => {
    held = undefined;
    told = Date.now();
    report?.({ bytes: sum, total });
  };
  return {
    blob(digest: string) {
      return (bytes: number) => {
        sum += bytes - (done.get(digest) ?? 0);
        done.set(digest, bytes);
        if (!report) return;
        const wait = told + everyMs - Date.now();
        if (wait <= 0) {
          clearTimeout(held);
          tell();
        } else held ??= setTimeout(tell, wait);
      };
    },
    stop() {
      clearTimeout(held);
      held = undefined;
    },
    finish() {
      this.stop();
      report?.({ bytes: total, total });
    },
  };
}

function clientFor(
  image: ImageRef,
  insecure?: string[],
  options: RegistryClientOptions = {},
): { ref: RegistryRef; client: RegistryClient } {
  const ref = parseDockerUri(image.uri);
  const credentials: RegistryCredentials = {};
  if (image.username) credentials.username = image.username;
  if (image.password) credentials.password = image.password;
  return {
    ref,
    client: new RegistryClient(ref, registryScheme(ref.registry, insecure), credentials, options),
  };
}

function notFound(uri: string, ref: RegistryRef, err: unknown): unknown {
  if (err instanceof RegistryError && err.status === 404) {
    return new InvalidImage(uri, `not found in registry ${ref.registry}`, { cause: err });
  }
  return err;
}

/** What `inspectRegistryImage` learns: the digest a reference names now and how the image runs. */
export interface InspectedImage extends ImageRunConfig {
  /** digest of the manifest (or index) the reference names */
  digest: string;
  /** the same image pinned by that digest: docker://host/repo@sha256:… */
  pinnedUri: string;
}

/**
 * Resolves `docker://…` (a tag or a digest) to the digest the registry serves now and reads the
 * image's config (linux/amd64 from an index), fetching only manifests and the config blob.
 */
export async function inspectRegistryImage(
  image: ImageRef,
  options: { insecureRegistries?: string[] } = {},
): Promise<InspectedImage> {
  const { ref, client } = clientFor(image, options.insecureRegistries);
  try {
    const top = await client.manifest(ref.reference);
    let fetched = top;
    for (let depth = 0; isIndex(fetched.doc, fetched.mediaType) && depth < 4; depth++) {
      fetched = await client.manifest(pickPlatform(image.uri, fetched.doc).digest);
    }
    const manifest = parseManifest(image.uri, fetched.doc);
    const config: unknown = JSON.parse((await client.blob(manifest.config.digest)).toString("utf8"));
    return {
      ...imageRunConfig(config),
      digest: top.digest,
      pinnedUri: `docker://${ref.registry}/${ref.repository}@${top.digest}`,
    };
  } catch (err) {
    throw notFound(image.uri, ref, err);
  }
}

/**
 * Pulls `docker://host:port/repo#tag` over the Distribution API: manifest (choosing linux/amd64
 * from an index), config and layers, each blob verified against its digest and cached by it, then
 * unpacked once per layer chain.
 */
export async function ensureRegistryImage(
  ctx: ResolveContext,
  image: ImageRef,
  onProgress?: (progress: PullProgress) => void,
): Promise<ResolvedImage> {
  const uri = image.uri;
  const { ref, client } = clientFor(
    image,
    ctx.insecureRegistries,
    ctx.blobIdleTimeoutMs !== undefined ? { blobIdleTimeoutMs: ctx.blobIdleTimeoutMs } : {},
  );
  const log = ctx.log.child({ image: uri });
  try {
    let fetched = await client.manifest(ref.reference);
    for (let depth = 0; isIndex(fetched.doc, fetched.mediaType) && depth < 4; depth++) {
      fetched = await client.manifest(pickPlatform(uri, fetched.doc).digest);
    }
    const manifest = parseManifest(uri, fetched.doc);
    const blobs = [manifest.config, ...manifest.layers];
    const progress = progressOf(
      blobs.reduce((sum, b) => sum + (b.size ?? 0), 0),
      onProgress,
    );
    const started = Date.now();
    let config: unknown;
    let paths: string[];
    try {
      const configPath = await cachedBlob(
        ctx,
        client,
        manifest.config,
        progress.blob(manifest.config.digest),
      );
      config = JSON.parse(await readFile(configPath, "utf8"));
      // layers stream to disk side by side (containerd also fetches 3 at a time)
      paths = await mapBounded(manifest.layers, ctx.pullConcurrency ?? 3, (layer) =>
        cachedBlob(ctx, client, layer, progress.blob(layer.digest)),
      );
    } finally {
      progress.stop();
    }
    const layers = manifest.layers.map((layer, i) => ({ digest: layer.digest, path: paths[i] as string }));
    progress.finish();
    log.info({ manifest: fetched.digest, layers: layers.length, ms: Date.now() - started }, "image pulled");
    const rootfs = await ensureUnpackedLayers(ctx.storeDir, layers);
    return { layers: [rootfs], ...imageDefaults(config) };
  } catch (err) {
    throw notFound(uri, ref, err);
  }
}
