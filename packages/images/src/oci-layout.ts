import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { InvalidImage } from "./errors";
import { ensureUnpackedLayers, sha256File } from "./layer-store";
import { blobPathIn } from "./oci-layout-paths";
import {
  type Descriptor,
  imageDefaults,
  isDescriptor,
  isIndex,
  parseManifest,
  pickPlatform,
  REF_NAME_ANNOTATION,
} from "./oci-manifest";
import type { ResolveContext, ResolvedImage } from "./resolve-image";

/** Splits `oci:///abs/layout#tag` into the layout directory and the tag ("" = the only image). */
export function parseOciUri(uri: string): { layout: string; tag: string } {
  const rest = uri.slice("oci://".length);
  const hash = rest.indexOf("#");
  const layout = hash === -1 ? rest : rest.slice(0, hash);
  const tag = hash === -1 ? "" : rest.slice(hash + 1);
  if (!isAbsolute(layout))
    throw new InvalidImage(uri, "an OCI layout path must be absolute (oci:///path#tag)");
  return { layout, tag };
}

async function readJson(uri: string, path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InvalidImage(uri, `cannot read ${path}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidImage(uri, `${path} is not JSON`, { cause: err });
  }
}

async function readVerifiedJson(uri: string, layout: string, d: Descriptor): Promise<unknown> {
  const path = blobPathIn(layout, d.digest);
  if ((await sha256File(path).catch(() => "")) !== d.digest) {
    throw new InvalidImage(uri, `blob ${d.digest} is missing or does not match its digest`);
  }
  return readJson(uri, path);
}

function pickByTag(uri: string, index: unknown, tag: string): Descriptor {
  const manifests = ((index as { manifests?: unknown }).manifests ?? []) as unknown[];
  const valid = manifests.filter(isDescriptor);
  if (tag !== "") {
    const named = valid.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === tag);
    if (!named) throw new InvalidImage(uri, `no image tagged ${JSON.stringify(tag)} in the layout`);
    return named;
  }
  const [only, ...others] = valid;
  if (!only) throw new InvalidImage(uri, "the layout's index.json lists no images");
  if (others.length > 0)
    throw new InvalidImage(uri, `the layout holds ${valid.length} images: name one with #tag`);
  return only;
}

/** An image from a local OCI image layout: index.json → (index →) manifest → config + layers. */
export async function ensureOciLayoutImage(ctx: ResolveContext, uri: string): Promise<ResolvedImage> {
  const { layout, tag } = parseOciUri(uri);
  const index = await readJson(uri, join(layout, "index.json"));
  let descriptor = pickByTag(uri, index, tag);
  let doc = await readVerifiedJson(uri, layout, descriptor);
  for (let depth = 0; isIndex(doc, descriptor.mediaType) && depth < 4; depth++) {
    descriptor = pickPlatform(uri, doc);
    doc = await readVerifiedJson(uri, layout, descriptor);
  }
  const manifest = parseManifest(uri, doc);
  const config = await readVerifiedJson(uri, layout, manifest.config);
  const layers: Array<{ digest: string; path: string }> = [];
  for (const layer of manifest.layers)
    layers.push({ digest: layer.digest, path: blobPathIn(layout, layer.digest) });
  ctx.log.debug({ uri, layers: layers.length }, "resolved OCI layout image");
  const rootfs = await ensureUnpackedLayers(ctx.storeDir, layers, async (layer) => {
    if ((await sha256File(layer.path).catch(() => "")) !== layer.digest) {
      throw new InvalidImage(uri, `layer ${layer.digest} is missing or does not match its digest`);
    }
  });
  return { layers: [rootfs], ...imageDefaults(config) };
}
