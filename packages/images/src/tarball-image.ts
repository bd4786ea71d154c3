import { realpath, stat } from "node:fs/promises";
import { InvalidImage } from "./errors";
import { ensureUnpackedLayers } from "./layer-store";
import type { ResolveContext, ResolvedImage } from "./resolve-image";
import { shortHash } from "./store-paths";

/**
 * A rootfs tarball used as a one-layer image, unpacked once. Its cache key comes from the file's
 * identity and times, so a tarball rewritten in place is unpacked again.
 */
export async function ensureTarballImage(
  ctx: ResolveContext,
  uri: string,
  path: string,
): Promise<ResolvedImage> {
  const real = await realpath(path);
  const st = await stat(real);
  if (!st.isFile()) throw new InvalidImage(uri, `${path} is not a file`);
  const identity = `tarball:${shortHash(`${real}|${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}`)}`;
  try {
    const layer = await ensureUnpackedLayers(ctx.storeDir, [{ digest: identity, path: real }]);
    return { layers: [layer] };
  } catch (err) {
    throw new InvalidImage(uri, `cannot unpack: ${(err as Error).message}`, { cause: err });
  }
}
