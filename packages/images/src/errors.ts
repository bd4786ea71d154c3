import type { ChildFailed } from "@grove/child";

/** Base class of every error this package throws; `name` is the concrete class name. */
export class ImagesError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The image URI has an unknown scheme, points at nothing, or names an image that cannot be used. */
export class InvalidImage extends ImagesError {
  constructor(
    readonly uri: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid image ${JSON.stringify(uri)}: ${reason}`, options);
  }
}

/** An archive entry would escape its destination, is of a kind that is not accepted, or goes past a limit. */
export { ArchiveLimitExceeded, InvalidArchive } from "./archive/index";

/** A path asked for (e.g. by StreamOut) does not exist or leaves its root through a symlink. */
export class InvalidPath extends ImagesError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`invalid path ${JSON.stringify(path)}: ${reason}`);
  }
}

/** A registry answered with an error, or a blob did not match its digest. */
export class RegistryError extends ImagesError {
  constructor(
    readonly url: string,
    reason: string,
    readonly status?: number,
  ) {
    super(`registry ${url}: ${reason}`);
  }
}

/** A mount, loop device or mkfs step failed; the message carries the tool's own stderr and what to do. */
export class MountFailed extends ImagesError {
  constructor(
    readonly operation: string,
    detail: string | ChildFailed,
  ) {
    super(`${operation}: ${typeof detail === "string" ? detail : detail.message}`, { cause: detail });
  }
}

/** A disk limit of scope "total" leaves nothing to write: the image alone takes more. */
export class DiskLimitTooSmall extends ImagesError {
  constructor(
    readonly limitBytes: number,
    readonly imageBytes: number,
  ) {
    super(
      `disk limit is smaller than volume size: the image takes ${imageBytes} bytes, the limit is ${limitBytes} (scope total counts the image; scope exclusive counts only what the container writes)`,
    );
  }
}

/** A handle that cannot name a directory (empty or too long). */
export class InvalidHandle extends ImagesError {}

/** A directory above the store is not searchable, so user-namespaced containers could not reach their rootfs. */
export class StoreNotReachable extends ImagesError {
  constructor(readonly dir: string) {
    super(
      `${dir} is not searchable by others, so a user-namespaced container cannot reach its rootfs: keep the image store under a directory every user can search, such as /var/lib/grove`,
    );
  }
}
