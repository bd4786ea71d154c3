/** One field-level problem of a request, with its dotted path. */
export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * Base of every error the api turns into a problem+json response. `slug` names the problem type
 * (`urn:grove:problem:<slug>`); `status` is the HTTP status.
 */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly slug: string;
  abstract readonly title: string;
  constructor(detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

/** The thing does not exist, or exists in a tenant the caller cannot see. */
export class NotFound extends ApiError {
  readonly status = 404;
  readonly slug = "not-found";
  readonly title = "Not found";
}

/** The request conflicts with the current state (a name taken, a request in flight). */
export class Conflict extends ApiError {
  readonly status = 409;
  readonly slug = "conflict";
  readonly title = "Conflict";
}

/** The request is malformed; `issues` name the fields. */
export class Invalid extends ApiError {
  readonly status = 400;
  readonly slug = "invalid-request";
  readonly title = "Invalid request";
  constructor(
    detail: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(detail);
  }
}

/** No credentials, or credentials that match no token. */
export class Unauthorized extends ApiError {
  readonly status = 401;
  readonly slug = "unauthorized";
  readonly title = "Unauthorized";
}

/** Authenticated, but the role does not allow this. */
export class Forbidden extends ApiError {
  readonly status = 403;
  readonly slug = "forbidden";
  readonly title = "Forbidden";
}

/** `If-Match` named a version that is no longer current. */
export class PreconditionFailed extends ApiError {
  readonly status = 412;
  readonly slug = "precondition-failed";
  readonly title = "Precondition failed";
}

/** The request body is larger than allowed. */
export class PayloadTooLarge extends ApiError {
  readonly status = 413;
  readonly slug = "payload-too-large";
  readonly title = "Payload too large";
}

/** What an archive went past: the limit's name, the setting that sets it and its value. */
export interface ArchiveLimitView {
  name: string;
  setting: string;
  max: number;
}

/** An uploaded archive Grove will not unpack; `entry` names the member, `limit` the limit it went past. */
export class UnprocessableArchive extends ApiError {
  readonly status = 422;
  readonly slug = "invalid-archive";
  readonly title = "Invalid archive";
  constructor(
    detail: string,
    readonly entry?: string,
    readonly limit?: ArchiveLimitView,
  ) {
    super(detail);
  }
}

/** The body's media type is not one this route accepts. */
export class UnsupportedMediaType extends ApiError {
  readonly status = 415;
  readonly slug = "unsupported-media-type";
  readonly title = "Unsupported media type";
}

/** A pushed image reference that cannot be resolved: bad reference, unknown tag, refused credentials. */
export class UnusableImage extends ApiError {
  readonly status = 422;
  readonly slug = "unusable-image";
  readonly title = "Unusable image";
}

/** An `Idempotency-Key` reused with a different request. */
export class IdempotencyKeyReused extends ApiError {
  readonly status = 422;
  readonly slug = "idempotency-key-reused";
  readonly title = "Idempotency key reused";
}

/**
 * A retry with the `Idempotency-Key` of a create whose response held a secret: the thing was
 * created, but its secret is shown only once and is not kept for replays.
 */
export class SecretShownOnce extends ApiError {
  readonly status = 409;
  readonly slug = "secret-shown-once";
  readonly title = "Secret shown once";
}

/**
 * A change a single-writer volume does not allow (a second instance or a second app mounting
 * it); nothing was changed.
 */
export class SingleWriterVolume extends ApiError {
  readonly status = 422;
  readonly slug = "single-writer-volume";
  readonly title = "Single-writer volume";
}

/** What still uses a volume a delete was refused for. */
export interface VolumeUsers {
  apps: string[];
  instances: { app: string; index: number; id: string; state: string; cell: string | null }[];
}

/** A volume that apps mount or instances still hold cannot be deleted; nothing was changed. */
export class VolumeInUse extends ApiError {
  readonly status = 409;
  readonly slug = "volume-in-use";
  readonly title = "Volume in use";
  constructor(
    detail: string,
    readonly usedBy: VolumeUsers,
  ) {
    super(detail);
  }
}

/** A dependency (Postgres, NATS) is unreachable. */
export class Unavailable extends ApiError {
  readonly status = 503;
  readonly slug = "unavailable";
  readonly title = "Service unavailable";
}

/** What a refused request would have taken past its quota, as the problem's `quota` member. */
export interface QuotaRefusal {
  /** whose quota refused: the tenant's or a space's (both bind) */
  scope: "tenant" | "space";
  /** the space, when a space's quota refused */
  space?: string;
  /** the quota field, as the API names it (e.g. `memory_mb`) */
  field: string;
  limit: number;
  usage: number;
  asked: number;
}

/** The request would take usage past a quota; nothing was changed. */
export class QuotaExceeded extends ApiError {
  readonly status = 422;
  readonly slug = "quota-exceeded";
  readonly title = "Quota exceeded";
  constructor(
    detail: string,
    readonly quota: QuotaRefusal,
  ) {
    super(detail);
  }
}
