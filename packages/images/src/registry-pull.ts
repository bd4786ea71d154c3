import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseDockerUri, registryScheme } from "./docker-uri";
import { InvalidImage, RegistryError } from "./errors";
import { blobPath, ensureUnpackedLayers } from "./layer-store";
import { imageDefaults, isIndex, parseManifest, pickPlatform } from "./oci-manifest";
import { RegistryClient } from "./registry-client";
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

/**
 * Pulls `docker://host:port/repo#tag` over the Distribution API: manifest (choosing linux/amd64
 * from an index), config and layers, each blob verified against its digest and cached by it, then
 * unpacked once per layer chain.
 */
export async function ensureRegistryImage(ctx: ResolveContext, image: ImageRef): Promise<ResolvedImage> {
  const uri = image.uri;
  const ref = parseDockerUri(uri);
  const credentials: { username?: string; password?: string } = {};
  if (image.username) credentials.username = image.username;
  if (image.password) credentials.password = image.password;
  const client = new RegistryClient(ref, registryScheme(ref.registry, ctx.insecureRegistries), credentials);
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
    if (err instanceof RegistryError && err.status === 404) {
      throw new InvalidImage(uri, `not found in registry ${ref.registry}`, { cause: err });
    }
    throw err;
  }
}
