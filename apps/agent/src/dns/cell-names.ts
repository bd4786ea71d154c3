import { readFile, rename, writeFile } from "node:fs/promises";
import { ApplyNames } from "@grove/protocol";
import type { Logger } from "pino";
import { VersionedApply } from "../versioned-apply";
import { InternalNames } from "./name-table";

/**
 * The app-internal names this cell answers, as the api's apply-names commands give them (the newest
 * version wins; an equal table changes nothing). The last table is kept in the state dir, so a
 * restarted agent answers at once, before the leader's next push brings it up to date.
 */
export class CellNames {
  readonly table = new InternalNames();
  readonly #applier: VersionedApply<ApplyNames>;

  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {
    const l = log.child({ component: "agent.dns" });
    this.#applier = new VersionedApply(
      (command) => JSON.stringify(command.tenants),
      async (command) => {
        this.table.replace(command);
        await writeFile(`${file}.tmp`, JSON.stringify(command));
        await rename(`${file}.tmp`, file);
        l.info({ version: command.version, ...this.table.size() }, "internal names applied");
      },
    );
  }

  /** Takes up the table kept before a restart, if any (a damaged file is ignored: the api resends). */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch {
      return;
    }
    const parsed = ApplyNames.safeParse(JSON.parse(text));
    if (parsed.success) await this.#applier.apply(parsed.data);
    else this.log.warn({ file: this.file }, "kept internal names unreadable; waiting for the api's");
  }

  apply(command: ApplyNames): Promise<{ duplicate: boolean }> {
    return this.#applier.apply(command);
  }
}
