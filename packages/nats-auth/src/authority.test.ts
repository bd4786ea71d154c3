import { decode } from "@nats-io/jwt";
import { describe, expect, it } from "vitest";
import { accountJwt, authorityIds, newAuthoritySecrets, PRELOAD_ISSUED_AT } from "./authority";

describe("the GROVE account JWT", () => {
  const secrets = newAuthoritySecrets();
  const ids = authorityIds(secrets);

  it("preloaded, says it was issued before any pushed update, signed by the operator (the signature checks)", async () => {
    const preload = decode<{ revocations?: object }>(await accountJwt(secrets, {}, PRELOAD_ISSUED_AT));
    const pushed = decode(await accountJwt(secrets, { UABC: 1 }));
    expect(preload).toMatchObject({ iat: PRELOAD_ISSUED_AT, iss: ids.operator, sub: ids.account });
    expect(pushed.iat).toBeGreaterThan(preload.iat);
    expect(preload.jti).not.toBe(pushed.jti);
  });

  it("preloaded, is the same on every start (nothing about it changes with the clock)", async () => {
    expect(await accountJwt(secrets, {}, PRELOAD_ISSUED_AT)).toBe(
      await accountJwt(secrets, {}, PRELOAD_ISSUED_AT),
    );
  });
});
