import { readFile } from "node:fs/promises";
import type { TlsOptions } from "@grove/client";

/**
 * `NODE_EXTRA_CA_CERTS`, taken over from Node. Node 20 reads that file, and parses its own ~140
 * root certificates, at the start of every process that has it set: ~70 ms of CPU, more than half
 * of a `node -e 0`, which only an https API needs. So grove's launcher (the `#!/usr/bin/env -S`
 * line of `bin/grove.js`) starts Node without it, handing its value over as
 * `GROVE_EXTRA_CA_CERTS`; `takeExtraCaCerts` puts it back for the processes grove starts, and
 * https requests trust the file's certificates beside Node's, as Node would have.
 */
let deferred: string | undefined;

/** Takes the handed-over `GROVE_EXTRA_CA_CERTS` out of `env`, restoring `NODE_EXTRA_CA_CERTS`. */
export function takeExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GROVE_EXTRA_CA_CERTS;
  delete env.GROVE_EXTRA_CA_CERTS;
  deferred = file || undefined;
  if (deferred) env.NODE_EXTRA_CA_CERTS = deferred;
}

/**
 * TLS options for https requests: Node's root certificates and the extra ones when Node did not
 * load them. An unreadable file is warned about and ignored, as Node does.
 */
export const tlsOptions: TlsOptions = async () => {
  if (!deferred) return {};
  const file = deferred;
  const [{ rootCertificates }, extra] = await Promise.all([
    import("node:tls"),
    readFile(file, "utf8").catch((error: Error) => {
      process.stderr.write(`grove: ignoring extra certs from ${file}, load failed: ${error.message}\n`);
      return undefined;
    }),
  ]);
  return extra === undefined ? {} : { ca: [...rootCertificates, extra] };
};
