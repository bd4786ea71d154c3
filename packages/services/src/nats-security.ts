import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type AuthoritySecrets,
  apiPermissions,
  joinPermissions,
  newAuthoritySecrets,
  routerPermissions,
  userCreds,
} from "@grove/nats-auth";
import { exists } from "./postgres-server";
import { ensureTlsCertificates, type TlsFiles } from "./tls-certificates";

/** Everything a Grove NATS deployment needs to be closed: TLS files, the authority, role credentials. */
export interface NatsSecurity extends TlsFiles {
  dir: string;
  /** `AuthoritySecrets` as JSON (mode 0600): the api's `GROVE_NATS_AUTHORITY` */
  authorityFile: string;
  authority: AuthoritySecrets;
  /** `.creds` files (mode 0600) per role */
  creds: { api: string; router: string; join: string };
}

/**
 * Makes (the first time) or reads the CA, server certificate, NATS operator/accounts and the role
 * credentials under `dir`. `hosts` are the names and addresses the server certificate is valid for.
 */
export async function ensureNatsSecurity(
  dir: string,
  hosts: string[] = ["127.0.0.1", "localhost"],
): Promise<NatsSecurity> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tls = await ensureTlsCertificates(join(dir, "tls"), hosts);
  const authorityFile = join(dir, "authority.json");
  let authority: AuthoritySecrets;
  if (await exists(authorityFile)) {
    authority = JSON.parse(await readFile(authorityFile, "utf8")) as AuthoritySecrets;
  } else {
    authority = newAuthoritySecrets();
    await writeFile(authorityFile, JSON.stringify(authority), { mode: 0o600 });
  }
  const roles = { api: apiPermissions(), router: routerPermissions(), join: joinPermissions() };
  const creds = {} as NatsSecurity["creds"];
  for (const [role, permissions] of Object.entries(roles) as [keyof typeof roles, object][]) {
    const file = join(dir, `${role}.creds`);
    if (!(await exists(file))) {
      await writeFile(file, await userCreds(authority, `grove-${role}`, permissions), { mode: 0o600 });
    }
    creds[role] = file;
  }
  return { dir, ...tls, authorityFile, authority, creds };
}
