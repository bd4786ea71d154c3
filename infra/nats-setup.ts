/**
 * `npm run nats:setup -- DIR [HOST...]`: makes (once) what a closed Grove NATS needs under DIR — a CA
 * and a server certificate for HOSTs, the operator/accounts (`authority.json`, the api's
 * GROVE_NATS_AUTHORITY) and the role credentials (api.creds, router.creds, join.creds) — and writes
 * `nats-cluster.conf` for the 3-node cluster of docker-compose.yml (which mounts it and the server's
 * certificate and key as compose secrets, under /run/secrets).
 * Bring your own certificates by putting ca.pem, server.pem and server-key.pem in DIR/tls first.
 */
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ensureNatsSecurity, natsServerConfig } from "@grove/services";

const [dirArgument, ...extraHosts] = process.argv.slice(2);
if (!dirArgument) {
  process.stderr.write("usage: npm run nats:setup -- DIR [HOST...]\n");
  process.exit(1);
}
const dir = resolve(dirArgument);
const hosts = ["nats1", "nats2", "nats3", "localhost", "127.0.0.1", ...extraHosts];
const security = await ensureNatsSecurity(dir, hosts);
const secrets = "/run/secrets";
const config = await natsServerConfig({
  name: "$NATS_NAME",
  listen: "0.0.0.0:4222",
  monitor: "0.0.0.0:8222",
  storeDir: "/data",
  resolverDir: "/data/accounts",
  certFile: `${secrets}/nats_server_cert`,
  keyFile: `${secrets}/nats_server_key`,
  authority: security.authority,
  cluster: {
    name: "grove",
    listen: "0.0.0.0:6222",
    routes: ["nats://nats1:6222", "nats://nats2:6222", "nats://nats3:6222"],
    noAdvertise: true,
  },
});
await writeFile(join(dir, "nats-cluster.conf"), config, { mode: 0o644 });
process.stdout.write(
  `NATS security in ${dir}: ca ${security.caFile}, creds ${Object.values(security.creds).join(", ")}\n`,
);
