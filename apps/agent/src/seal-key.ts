import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RegistryCredentials, type SealedCredentials } from "@grove/protocol";
import { createCurve, fromCurveSeed, type KeyPair } from "@nats-io/nkeys";

/**
 * The cell's curve key pair, which the api seals docker apps' registry credentials for: made on the
 * first start and kept in the state dir (mode 0600); its public half goes out in every sync and
 * heartbeat.
 */
export class SealKey {
  private constructor(private readonly pair: KeyPair) {}

  static async load(stateDir: string): Promise<SealKey> {
    const path = join(stateDir, "seal-key");
    const seed = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (seed) return new SealKey(fromCurveSeed(new Uint8Array(seed)));
    const pair = createCurve();
    await writeFile(path, pair.getSeed(), { mode: 0o600, flag: "wx" });
    return new SealKey(pair);
  }

  get publicKey(): string {
    return this.pair.getPublicKey();
  }

  /**
   * Opens credentials sealed for this cell; throws when they were sealed for another key or what
   * they hold is not registry credentials.
   */
  open(sealed: SealedCredentials): RegistryCredentials {
    const opened = this.pair.open(new Uint8Array(Buffer.from(sealed.box, "base64")), sealed.from);
    if (!opened) throw new Error("registry credentials were not sealed for this cell's key");
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(opened));
    } catch {
      throw new Error("sealed registry credentials are not JSON");
    }
    const credentials = RegistryCredentials.safeParse(parsed);
    if (!credentials.success) throw new Error("sealed registry credentials lack a username or password");
    return credentials.data;
  }
}
