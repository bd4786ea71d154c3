import { createAccount, fromPublic, fromSeed } from "@nats-io/jwt";
import { describe, expect, it } from "vitest";
import { seedSigner } from "./seed-signer";

describe("seedSigner", () => {
  it("has the seed's keys and signs the same bytes as nkeys, which nkeys verifies", () => {
    for (let i = 0; i < 5; i++) {
      const seed = new TextDecoder().decode(createAccount().getSeed());
      const nkey = fromSeed(new TextEncoder().encode(seed));
      const signer = seedSigner(seed);
      expect(signer.getPublicKey()).toBe(nkey.getPublicKey());
      expect(signer.getPrivateKey()).toEqual(nkey.getPrivateKey());
      const input = new TextEncoder().encode(`claims ${i}`);
      const signature = signer.sign(input);
      expect(signature).toEqual(nkey.sign(input));
      expect(fromPublic(nkey.getPublicKey()).verify(input, signature)).toBe(true);
      expect(signer.verify(input, signature)).toBe(true);
      expect(signer.verify(new TextEncoder().encode("other"), signature)).toBe(false);
      expect(seedSigner(seed)).toBe(signer);
    }
  });
});
