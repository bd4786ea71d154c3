import type { ChildFailed } from "@grove/child";
import { GardenError, InvalidSpec } from "../errors";

/**
 * The network layer could not do what was asked (the kernel refused a step, or `nft`, `ip` or a
 * sysctl failed: the message quotes what they said and what to check; `cause` is the ChildFailed of
 * a tool that was run).
 */
export class NetworkSetupFailed extends GardenError {
  readonly toolMessage: string;
  constructor(
    readonly operation: string,
    detail: string | ChildFailed,
    handle?: string,
  ) {
    const toolMessage = typeof detail === "string" ? detail : detail.message;
    super(`${operation}: ${toolMessage}`, handle === undefined ? {} : { handle });
    this.toolMessage = toolMessage;
    if (typeof detail !== "string") this.cause = detail;
  }
}

/** nft refused a script (the rules; the devices, if any, were wired). */
export class NftRefused extends NetworkSetupFailed {}

/** A NetIn asked for a host port another mapping already holds. */
export class PortInUse extends InvalidSpec {
  constructor(
    readonly hostPort: number,
    handle: string,
  ) {
    super(`host port ${hostPort} is already mapped`, { handle });
  }
}

/** Every port of the NetIn pool is mapped. */
export class PortPoolExhausted extends GardenError {
  constructor(readonly pool: { start: number; end: number }) {
    super(`no free host port in ${pool.start}-${pool.end}`);
  }
}

/** Every address of the cell subnet (or of the range a container asked for) is taken. */
export class AddressesExhausted extends GardenError {
  constructor(readonly range: string) {
    super(`no free container address in ${range}`);
  }
}

/** A NetOut rule that cannot be expressed (bad address, ports with protocol "all"…). */
export class InvalidNetOutRule extends InvalidSpec {}

/** A requested container network that is not inside the cell's subnet, or is malformed. */
export class InvalidNetwork extends InvalidSpec {}

/** The networker's own configuration is unusable (bad subnet, bridge name too long…). */
export class InvalidNetworkerConfig extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidNetworkerConfig";
  }
}
