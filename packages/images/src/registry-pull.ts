import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseDockerUri, type RegistryRef, registryScheme } from "./docker-uri";
import { InvalidImage, RegistryError } from "./errors";
import { blobPath, ensureUnpackedLayers } from "./layer-store";
import {
  type ImageRunConfig,
  imageDefaults,
  imageRunConfig,
  isIndex,
  parseManifest,
  pickPlatform,
} from "./oci-manifest";
import { RegistryClient, type RegistryCredentials } from "./registry-client";
import type { ResolveContext, ResolvedImage } from "./resolve-image";
import type { ImageRef } from "./types";

async function cachedBlob(ctx: ResolveContext, client: RegistryClient, digest: string): Promise<string> {
  const path = blobPath(ctx.storeDir, digest);
  try {
    await stat(path);
    return path;
  } catch {}
  const tmp = join(ctx.storeDir, "tmp", `blob-${process.pid}-${randomBytes(6).toString("hex")}`);
  await client.downloadBlob(digest, path, tmp);
  return path;
}

function clientFor(image: ImageRef, insecure?: string[]): { ref: RegistryRef; client: RegistryClient } {
  const ref = parseDockerUri(image.uri);
  const credentials: RegistryCredentials = {};
  if (image.username) credentials.username = image.username;
  if (image.password) credentials.password = image.password;
  return { ref, client: new RegistryClient(ref, registryScheme(ref.registry, insecure), credentials) };
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
export async function ensureRegistryImage(ctx: ResolveContext, image: ImageRef): Promise<ResolvedImage> {
  const uri = image.uri;
  const { ref, client } = clientFor(image, ctx.insecureRegistries);
  const log = ctx.log.child({ image: uri });
  try {
    let fetched = await client.manifest(ref.reference);
    for (let depth = 0; isIndex(fetched.doc, fetched.mediaType) && depth < 4; depth++) {
      fetched = await client.manifest(pickPlatform(uri, fetched.doc).digest);
    }
    const manifest = parseManifest(uri, fetched.doc);
    const configPath = await cachedBlob(ctx, client, manifest.config.digest);
    const config: unknown = JSON.parse(await readFile(configPath, "utf8"));
    const layers: Array<{ digest: string; path: string }> = [];
    for (const layer of manifest.layers) {
      layers.push({ digest: layer.digest, path: await cachedBlob(ctx, client, layer.digest) });
    }
    log.info({ manifest: fetched.digest, layers: layers.length }, "image pulled");
    const rootfs = await ensureUnpackedLayers(ctx.storeDir, layers);
    return { layers: [rootfs], ...imageDefaults(config) };
  } catch (err) {
    throw notFound(uri, ref, err);
  }
}
