import type { AppImage } from "@grove/db";
import { ImagesError, InvalidImage, inspectRegistryImage, RegistryError } from "@grove/images";
import type { RegistryCredentials } from "@grove/protocol";
import { UnusableImage } from "../errors";

/** What a pushed image reference resolves to: the pinned image and the defaults it gives the app. */
export interface ResolvedPushImage {
  image: AppImage;
  /** the image's first exposed TCP port, the default route and health-check port */
  port?: number;
  /** what `command` shows when the app runs the image's own Entrypoint+Cmd */
  command: string;
}

/**
 * Resolves a pushed reference (`host[:port]/repo[:tag|@sha256:…]`) to the digest the registry
 * serves now and reads how the image runs. Every failure is `UnusableImage` (422) with the reason.
 */
export async function resolvePushImage(
  ref: string,
  credentials: RegistryCredentials | undefined,
  command: string | undefined,
): Promise<ResolvedPushImage> {
  if (ref.includes("://") || /\s/.test(ref)) {
    throw new UnusableImage(`image ${JSON.stringify(ref)}: expected host[:port]/repository[:tag|@sha256:…]`);
  }
  let inspected: Awaited<ReturnType<typeof inspectRegistryImage>>;
  try {
    inspected = await inspectRegistryImage({ uri: `docker://${ref}`, ...credentials });
  } catch (error) {
    throw new UnusableImage(imageFailure(ref, error));
  }
  const argv = [...inspected.entrypoint, ...inspected.cmd];
  if (command === undefined && argv.length === 0) {
    throw new UnusableImage(`image ${ref} has neither Entrypoint nor Cmd: pass a command`);
  }
  const image: AppImage = { ref, digest: inspected.digest, uri: inspected.pinnedUri };
  if (command === undefined) image.args = argv;
  if (inspected.user) image.user = inspected.user;
  if (inspected.workingDir) image.workingDir = inspected.workingDir;
  return {
    image,
    port: inspected.exposedPorts[0],
    command: command ?? argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" "),
  };
}

function imageFailure(ref: string, error: unknown): string {
  if (error instanceof RegistryError) {
    if (error.status === 401 || error.status === 403) {
      return `registry refused access to ${ref} (${error.status}): check --registry-username/--registry-password`;
    }
    return `image ${ref}: ${error.message}`;
  }
  if (error instanceof InvalidImage) return error.message.replace(/^invalid image "docker:\/\//, 'image "');
  if (error instanceof ImagesError) return `image ${ref}: ${error.message}`;
  throw error;
}
