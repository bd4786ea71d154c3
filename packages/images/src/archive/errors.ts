/** An archive Grove will not unpack; `entry` names the offending member when there is one. */
export class InvalidArchive extends Error {
  constructor(
    readonly entry: string | undefined,
    readonly reason: string,
  ) {
    super(
      entry === undefined
        ? `invalid archive: ${reason}`
        : `invalid archive entry ${JSON.stringify(entry)}: ${reason}`,
    );
    this.name = new.target.name;
  }
}

/** Which limit of `ArchiveLimits` an archive went past. */
export type ArchiveLimitName =
  | "entries"
  | "unpackedBytes"
  | "pathLength"
  | "links"
  | "linkDepth"
  | "linkSteps";

/** The archive goes past one of its limits; `limit` names it and `max` is its value. */
export class ArchiveLimitExceeded extends InvalidArchive {
  constructor(
    entry: string | undefined,
    readonly limit: ArchiveLimitName,
    readonly max: number,
    what: string,
  ) {
    super(entry, `${what} (limit ${limit} = ${max})`);
  }
}
