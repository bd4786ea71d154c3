import { cellPermissions, newAuthoritySecrets, userJwt } from "@grove/nats-auth";
import { subjects } from "@grove/protocol";
import { createUser } from "@nats-io/nkeys";
import { describe, expect, it } from "vitest";
import { mayPublishTenantLogs } from "./log-shipper";

describe("mayPublishTenantLogs", () => {
  const authority = newAuthoritySecrets();
  const key = createUser().getPublicKey();

  it("is true for a cell user made by this release", async () => {
    expect(mayPublishTenantLogs(await userJwt(authority, "cell-c1", key, cellPermissions("c1")), "c1")).toBe(
      true,
    );
  });

  it("is false for a cell user made before log subjects carried the tenant, and for no JWT at all", async () => {
    const older = cellPermissions("c1");
    older.pub = { allow: (older.pub?.allow ?? []).filter((s) => s !== subjects.cellLogs("c1")) };
    expect(mayPublishTenantLogs(await userJwt(authority, "cell-c1", key, older), "c1")).toBe(false);
    expect(mayPublishTenantLogs("not a jwt", "c1")).toBe(false);
  });
});
