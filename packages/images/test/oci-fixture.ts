import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { type Member, tarOf } from "./tar-fixtures";

export interface Blob {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export interface BuiltImage {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
}

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

export function blobOf(bytes: Buffer, mediaType: string): Blob {
  return { bytes, mediaType, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}` };
}

const descriptor = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.bytes.length });

/** A tar compressed by Debian's zstd, as `skopeo --dest-compress-format zstd` would make it. */
export async function zstdOf(tar: Buffer): Promise<Buffer> {
  const { stdout } = await execa("zstd", ["-q", "-c", "-3"], { input: tar, encoding: "buffer" });
  return Buffer.from(stdout);
}

const LAYER_TYPES = {
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
} as const;

/** An OCI image (layers lowest first, gzip unless `compression` says otherwise per layer) with the given config defaults. */
export async function buildImage(
  layers: Member[][],
  config: {
    Env?: string[];
    WorkingDir?: string;
    User?: string;
    Entrypoint?: string[];
    Cmd?: string[];
    ExposedPorts?: Record<string, object>;
  } = {},
  compression: Array<keyof typeof LAYER_TYPES> = [],
): Promise<BuiltImage> {
  const layerBlobs: Blob[] = [];
  const diffIds: string[] = [];
  for (const [i, members] of layers.entries()) {
    const tar = await tarOf(members);
    diffIds.push(blobOf(tar, "").digest);
    const kind = compression[i] ?? "gzip";
    const bytes = kind === "zstd" ? await zstdOf(tar) : await tarOf(members, { gzip: true });
    layerBlobs.push(blobOf(bytes, LAYER_TYPES[kind]));
  }
  const configDoc = {
    architecture: "amd64",
    os: "linux",
    config,
    rootfs: { type: "layers", diff_ids: diffIds },
  };
  const configBlob = blobOf(
    Buffer.from(JSON.stringify(configDoc)),
    "application/vnd.oci.image.config.v1+json",
  );
  const manifestDoc = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: descriptor(configBlob),
    layers: layerBlobs.map(descriptor),
  };
  return {
    manifest: blobOf(Buffer.from(JSON.stringify(manifestDoc)), OCI_MANIFEST),
    config: configBlob,
    layers: layerBlobs,
  };
}

/** An index pointing at several platform images. */
export function buildIndex(entries: Array<{ image: BuiltImage; os: string; architecture: string }>): Blob {
  const doc = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: entries.map(({ image, os, architecture }) => ({
      ...descriptor(image.manifest),
      platform: { os, architecture },
    })),
  };
  return blobOf(Buffer.from(JSON.stringify(doc)), OCI_INDEX);
}

/** Writes an OCI image layout holding the images under their tags (tag "" = no ref name). */
export async function writeOciLayout(
  dir: string,
  images: Array<{ tag: string; image: BuiltImage; index?: Blob; extra?: BuiltImage[] }>,
): Promise<void> {
  await mkdir(join(dir, "blobs/sha256"), { recursive: true });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const manifests: unknown[] = [];
  const put = (b: Blob) => writeFile(join(dir, "blobs/sha256", b.digest.slice("sha256:".length)), b.bytes);
  for (const { tag, image, index, extra } of images) {
    for (const img of [image, ...(extra ?? [])]) {
      for (const b of [img.manifest, img.config, ...img.layers]) await put(b);
    }
    if (index) await put(index);
    const top = index ?? image.manifest;
    manifests.push({
      ...descriptor(top),
      ...(tag ? { annotations: { "org.opencontainers.image.ref.name": tag } } : {}),
    });
  }
  await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
}
