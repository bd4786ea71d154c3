import { GardenError, InvalidSpec } from "../errors";

/** The network layer could not do what was asked (a CNI plugin, `ip` or `nft` failed). */
export class NetworkSetupFailed extends GardenError {
  constructor(
    readonly operation: string,
    readonly toolMessage: string,
    handle?: string,
  ) {
    super(`${operation}: ${toolMessage}`, handle === undefined ? {} : { handle });
  }
}

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
