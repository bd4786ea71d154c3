import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { runChild } from "@grove/child";
import { exists } from "./postgres-server";

export interface TlsFiles {
  /** the CA every client verifies the server with */
  caFile: string;
  certFile: string;
  keyFile: string;
}

const curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

const openssl = (args: string[]) =>
  runChild("openssl", args, { hint: "Is the openssl CLI installed (Debian package openssl)?" });

/**
 * A CA and a server certificate signed by it (for `hosts`: IPs or DNS names) in `dir`, made with the
 * openssl CLI the first time and reused afterwards. Keys are mode 0600.
 */
export async function ensureTlsCertificates(dir: string, hosts: string[]): Promise<TlsFiles> {
  const files = {
    caFile: join(dir, "ca.pem"),
    caKeyFile: join(dir, "ca-key.pem"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server-key.pem"),
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!(await exists(files.caFile))) {
    await openssl([
      "req",
      "-x509",
      ...curve,
      "-keyout",
      files.caKeyFile,
      "-out",
      files.caFile,
      "-days",
      "3650",
      "-subj",
      "/CN=Grove NATS CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await chmod(files.caKeyFile, 0o600);
  }
  if (!(await exists(files.certFile))) {
    const san = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`)).join(",");
    await openssl([
      "req",
      "-x509",
      "-CA",
      files.caFile,
      "-CAkey",
      files.caKeyFile,
      ...curve,
      "-keyout",
      files.keyFile,
      "-out",
      files.certFile,
      "-days",
      "825",
      "-subj",
      "/CN=grove-nats",
      "-addext",
      `subjectAltName=${san}`,
      "-addext",
      "basicConstraints=CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth",
    ]);
    await chmod(files.keyFile, 0o600);
  }
  return { caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile };
}
