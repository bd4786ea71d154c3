import type { Database } from "@grove/db";
import { schema } from "@grove/db";
import { authenticateCellMessage, type LogLine } from "@grove/protocol";
import { eq } from "drizzle-orm";
import { cellCredentialHash } from "../repo/cells";

const { instances } = schema;

/**
 * Accepts a log line only when it comes from the cell the instance was placed on, with that cell's
 * credential, so one cell cannot write into another tenant's logs. Lookups are cached for the life
 * of one log request.
 */
export class LogLineVerifier {
  private readonly cellOfInstance = new Map<string, string | null>();
  private readonly credentialHashes = new Map<string, string | undefined>();

  constructor(
    private readonly db: Database,
    private readonly appId: string,
  ) {}

  async accept(line: LogLine): Promise<boolean> {
    if (line.appId !== this.appId) return false;
    const cellId = await this.placedOn(line.instanceId);
    if (cellId !== line.cellId) return false;
    if (!this.credentialHashes.has(line.cellId)) {
      this.credentialHashes.set(line.cellId, await cellCredentialHash(this.db, line.cellId));
    }
    return authenticateCellMessage(line, this.credentialHashes.get(line.cellId)).ok;
  }

  private async placedOn(instanceId: string): Promise<string | null> {
    if (!this.cellOfInstance.has(instanceId)) {
      const uuid = /^[0-9a-f-]{36}$/i.test(instanceId);
      const [row] = uuid
        ? await this.db
            .select({ cellId: instances.cellId, appId: instances.appId })
            .from(instances)
            .where(eq(instances.id, instanceId))
        : [];
      this.cellOfInstance.set(instanceId, row && row.appId === this.appId ? row.cellId : null);
    }
    return this.cellOfInstance.get(instanceId) ?? null;
  }
}
