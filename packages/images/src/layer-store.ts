import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS } from "./archive/index";
import type { ResolvedLayer } from "./resolve-image";
import { markUsed } from "./store-gc";
import { buildOnce, shortHash } from "./store-paths";
import { extractTar } from "./tar-extract";

/** Image layers are larger than app bits; their limits still bound time and space. */
const IMAGE_LAYER_LIMITS: ArchiveLimits = {
  ...DEFAULT_ARCHIVE_LIMITS,
  maxEntries: 1_000_000,
  maxUnpackedBytes: 32 * 1024 ** 3,
  maxLinks: 200_000,
  maxLinkSteps: 20_000_000,
};

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/** Where a blob with this digest is cached. */
export function blobPath(storeDir: string, digest: string): string {
  return join(storeDir, "blobs", digest.replace(":", "/"));
}

/** Where the bytes of an unfinished download of that blob are kept, for the next pull to continue. */
export function partialBlobPath(storeDir: string, digest: string): string {
  return join(storeDir, "blobs", "partial", digest.replace(/^sha256:/, ""));
}

/**
 * Unpacks image layers (tar or tar+gzip files, lowest first) into one directory, applying each
 * layer's whiteouts to the ones below, once per distinct layer chain. The result is a single
 * read-only lower dir that every container of the image shares.
 */
export async function ensureUnpackedLayers(
  storeDir: string,
  layers: Array<{ digest: string; path: string }>,
  /** checks a layer file before it is unpacked (skipped when the chain is already unpacked) */
  verify: (layer: { digest: string; path: string }) => Promise<void> = async () => {},
): Promise<ResolvedLayer> {
  const key = `img-${shortHash(layers.map((l) => l.digest).join(","))}`;
  const finalDir = join(storeDir, "images", key);
  const rootfs = join(finalDir, "rootfs");
  await markUsed(finalDir);
  await buildOnce(storeDir, "unpack", finalDir, async (scratch) => {
    await mkdir(join(scratch, "rootfs"), { mode: 0o755 });
    for (const layer of layers) {
      await verify(layer);
      // Image layers hold absolute symlinks that mean container paths; kept, never followed.
      await extractTar(layer.path, join(scratch, "rootfs"), {
        whiteouts: true,
        symlinks: "any",
        devices: "skip",
        limits: IMAGE_LAYER_LIMITS,
      });
    }
  });
  return { key, dir: rootfs };
}
