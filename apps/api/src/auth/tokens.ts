import { createHash, randomBytes } from "node:crypto";

/** Makes a new API token: `grove_` and 32 random bytes, base64url. */
export function generateApiToken(): string {
  return `grove_${randomBytes(32).toString("base64url")}`;
}

/** What is stored for a token (or a join token): lowercase hex SHA-256. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
