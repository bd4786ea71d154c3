import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { AuthoritySecrets } from "@grove/nats-auth";

/**
 * Seals small secrets (registry credentials) for the database with AES-256-GCM. The key is derived
 * (HKDF-SHA256) from the NATS authority's operator seed: a secret the api generates at the first
 * start in GROVE_HOME (mode 0600) and that never leaves the api, so a database dump alone does not
 * reveal the credentials.
 */
export class SecretBox {
  #key: Buffer | undefined;

  /** `key`: 32 bytes, made when first used */
  constructor(private readonly makeKey: () => Buffer) {}

  static fromAuthority(authority: AuthoritySecrets): SecretBox {
    return new SecretBox(() =>
      Buffer.from(hkdfSync("sha256", authority.operatorSeed, "grove", "registry-credentials.v1", 32)),
    );
  }

  private get key(): Buffer {
    this.#key ??= this.makeKey();
    if (this.#key.length !== 32) throw new Error("a secret box key has 32 bytes");
    return this.#key;
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
  }

  open<T>(sealed: string): T {
    if (!sealed.startsWith("v1.")) throw new Error("unknown sealed secret version");
    const bytes = Buffer.from(sealed.slice(3), "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    const plain = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
    return JSON.parse(plain.toString("utf8")) as T;
  }
}
