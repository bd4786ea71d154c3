import { type Database, schema } from "@grove/db";
import { and, eq } from "drizzle-orm";

const { bits } = schema;
export type BitsRow = typeof bits.$inferSelect;

/** The bits one tenant has uploaded (the bytes themselves are shared by digest in the object store). */
export class TenantBits {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  async get(digest: string): Promise<BitsRow | undefined> {
    const [row] = await this.db
      .select()
      .from(bits)
      .where(and(eq(bits.tenantId, this.tenantId), eq(bits.digest, digest)));
    return row;
  }

  async record(digest: string, sizeBytes: number): Promise<void> {
    await this.db.insert(bits).values({ tenantId: this.tenantId, digest, sizeBytes }).onConflictDoNothing();
  }
}
