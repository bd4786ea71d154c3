import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { fromSeed, type KeyPair } from "@nats-io/jwt";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding, as nkeys encode keys and seeds. */
function base32Decode(text: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) throw new Error("not a base32 nkey");
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** The DER header of an Ed25519 PKCS#8 private key (RFC 8410), followed by its 32-byte seed. */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * An nkey pair (an account's, an operator's) that derives its keys once and signs with Node's
 * native Ed25519. nkeys' own pairs derive the key from the seed again (in JavaScript) for every
 * public key, private key and signature: about 15 ms of CPU per user JWT, which a bulk join of
 * 1,000 cells paid 1,000 times. Ed25519 is deterministic: the signatures are the same bytes.
 */
class SeedSigner implements KeyPair {
  readonly #pair: KeyPair;
  readonly #publicKey: string;
  readonly #privateKey: Uint8Array;
  readonly #key: KeyObject;
  readonly #verifier: KeyObject;

  constructor(seed: string) {
    this.#pair = fromSeed(new TextEncoder().encode(seed));
    this.#publicKey = this.#pair.getPublicKey();
    this.#privateKey = this.#pair.getPrivateKey();
    // a seed decodes to 2 prefix bytes, the 32-byte Ed25519 seed and a 2-byte checksum
    const raw = base32Decode(seed).subarray(2, 34);
    this.#key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, raw]), format: "der", type: "pkcs8" });
    this.#verifier = createPublicKey(this.#key);
    // the public key (1 prefix byte, 32 bytes, checksum) must be the one Node derived
    const expected = Buffer.from(base32Decode(this.#publicKey).subarray(1, 33));
    const derived = this.#verifier.export({ format: "der", type: "spki" }).subarray(-32);
    if (!expected.equals(derived)) throw new Error("the seed's Ed25519 key does not match its nkey");
  }

  getPublicKey(): string {
    return this.#publicKey;
  }

  getPrivateKey(): Uint8Array {
    return this.#privateKey;
  }

  getSeed(): Uint8Array {
    return this.#pair.getSeed();
  }

  sign(input: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, input, this.#key));
  }

  verify(input: Uint8Array, signature: Uint8Array): boolean {
    return verify(null, input, this.#verifier, signature);
  }

  /** only curve keys seal and open: the pair's own errors say so */
  seal(input: Uint8Array, recipient: string, nonce?: Uint8Array): Uint8Array {
    return this.#pair.seal(input, recipient, nonce);
  }

  open(message: Uint8Array, sender: string): Uint8Array | null {
    return this.#pair.open(message, sender);
  }

  clear(): void {
    this.#pair.clear();
  }
}

const signers = new Map<string, KeyPair>();

/** The signing pair of `seed`, made once per seed. */
export function seedSigner(seed: string): KeyPair {
  const known = signers.get(seed);
  if (known) return known;
  const signer = new SeedSigner(seed);
  signers.set(seed, signer);
  return signer;
}
