import type { ChildFailed } from "@grove/child";

/**
 * Typed errors of the runtime. `wireType` is the Garden protocol's error `Type`, so the wire server
 * maps every error in one place; `runtimeMessage` carries the OCI runtime's own last log line.
 */
export class GardenError extends Error {
  readonly wireType:
    | "ContainerNotFoundError"
    | "ProcessNotFoundError"
    | "ExecutableNotFoundError"
    | "ServiceUnavailableError"
    | "UnrecoverableError"
    | "" = "";
  constructor(
    message: string,
    readonly details: { handle?: string; processId?: string; binary?: string; srcPath?: string } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ContainerNotFound extends GardenError {
  override readonly wireType = "ContainerNotFoundError" as const;
  constructor(handle: string) {
    super(`unknown handle: ${handle}`, { handle });
  }
}

export class ProcessNotFound extends GardenError {
  override readonly wireType = "ProcessNotFoundError" as const;
  constructor(processId: string) {
    super(`unknown process: ${processId}`, { processId });
  }
}

export class ExecutableNotFound extends GardenError {
  override readonly wireType = "ExecutableNotFoundError" as const;
  constructor(binary: string, detail?: string) {
    super(detail ?? `executable not found: ${binary}`, { binary });
  }
}

export class ServiceUnavailable extends GardenError {
  override readonly wireType = "ServiceUnavailableError" as const;
}

export class Unrecoverable extends GardenError {
  override readonly wireType = "UnrecoverableError" as const;
}

/** A bad request: invalid spec, duplicate handle, unknown image scheme, malicious archive… */
export class InvalidSpec extends GardenError {}

/** A bind mount the runtime will not make: a source outside the allowed roots, a bad path or mode. */
export class BindMountRefused extends InvalidSpec {
  constructor(
    readonly srcPath: string,
    readonly reason: string,
  ) {
    super(`bind mount of ${JSON.stringify(srcPath)} refused: ${reason}`, { srcPath });
  }
}

/**
 * The OCI runtime (or a process's monitor) failed: the message is `operation` and a ChildFailed's,
 * which quotes what the runtime itself last logged and says what to do; `cause` is that ChildFailed.
 */
export class RuntimeFailed extends GardenError {
  readonly exitCode: number | undefined;
  constructor(
    readonly operation: string,
    /** what the runtime itself last logged */
    readonly runtimeMessage: string,
    failure: ChildFailed,
  ) {
    super(`${operation}: ${failure.message}`);
    this.exitCode = failure.exitCode;
    this.cause = failure;
  }
}
