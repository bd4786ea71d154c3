import { realpath, stat } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { ensureBusyboxStack } from "./busybox-stack";
import { InvalidImage } from "./errors";
import { ensureOciLayoutImage } from "./oci-layout";
import { ensureRegistryImage } from "./registry-pull";
import { shortHash } from "./store-paths";
import { ensureTarballImage } from "./tarball-image";
import type { ImageRef, ImagesLogger, PullProgress } from "./types";

/** A read-only directory plus a key that changes whenever its contents do. */
export interface ResolvedLayer {
  key: string;
  dir: string;
}

/** An image ready to mount: its layers, lowest first, and its config defaults. */
export interface ResolvedImage {
  layers: ResolvedLayer[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

export interface ResolveContext {
  storeDir: string;
  log: ImagesLogger;
  busyboxPath?: string;
  /** registries (host:port) spoken to over plain HTTP; loopback hosts always are */
  insecureRegistries?: string[];
  /** layers of one image downloaded at once (default 3) */
  pullConcurrency?: number;
  /** a blob download getting no byte for this long is stopped and continued (default 60 s) */
  blobIdleTimeoutMs?: number;
}

/**
 * A directory used as a layer in place. Its key is taken from the directory's identity and times:
 * such directories are expected to be immutable once handed over (e.g. unpacked app bits).
 */
export async function directoryLayer(path: string, uri = path): Promise<ResolvedLayer> {
  if (!isAbsolute(path)) throw new InvalidImage(uri, "layer paths must be absolute");
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    throw new InvalidImage(uri, `${path} does not exist`, { cause: err });
  }
  const st = await stat(real);
  if (!st.isDirectory()) throw new InvalidImage(uri, `${path} is not a directory`);
  return { key: `dir-${shortHash(`${real}|${st.dev}|${st.ino}|${st.mtimeMs}|${st.ctimeMs}`)}`, dir: real };
}

/** Turns an image URI into layers on local disk, fetching and unpacking what is not cached yet. */
export async function resolveImage(
  ctx: ResolveContext,
  image: ImageRef,
  onProgress?: (progress: PullProgress) => void,
): Promise<ResolvedImage> {
  const uri = image.uri;
  if (uri === "") {
    const stack = await ensureBusyboxStack(ctx.storeDir, ctx.busyboxPath);
    return { layers: [{ key: stack.version, dir: stack.rootfs }] };
  }
  if (uri.startsWith("oci://")) return ensureOciLayoutImage(ctx, uri);
  if (uri.startsWith("docker://")) return ensureRegistryImage(ctx, image, onProgress);
  const path = uri.startsWith("file://") ? uri.slice("file://".length) : uri;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) throw new InvalidImage(uri, "unknown scheme");
  if (!isAbsolute(path)) throw new InvalidImage(uri, "a rootfs path must be absolute");
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    throw new InvalidImage(uri, `${path} does not exist`, { cause: err });
  }
  if (st.isDirectory()) return { layers: [await directoryLayer(path, uri)] };
  if (/\.(tar|tar\.gz|tgz)$/.test(path)) return ensureTarballImage(ctx, uri, path);
  throw new InvalidImage(uri, "not a directory or a .tar/.tar.gz/.tgz rootfs tarball");
}
