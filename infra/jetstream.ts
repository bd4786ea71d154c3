/**
 * `npm run jetstream -- backup DIR [STREAM...]` writes a snapshot of each stream of Grove's NATS
 * account (default: all of them, the object stores' `OBJ_…` streams included) to DIR;
 * `npm run jetstream -- restore DIR [--replace]` puts them back on a cluster (`--replace` deletes a
 * stream of the same name first). Both use JetStream's snapshot and restore API, as the api's user:
 * NATS_URL, GROVE_NATS_CA and GROVE_NATS_CREDS as the api takes them.
 */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { backupStreams, restoreStreams } from "@grove/api";
import { natsConnectOptions } from "@grove/nats-auth";
import { connect } from "@nats-io/transport-node";

const [command, dirArgument, ...rest] = process.argv.slice(2);
const url = process.env.NATS_URL;
if ((command !== "backup" && command !== "restore") || !dirArgument || !url) {
  process.stderr.write(
    "usage: NATS_URL=… GROVE_NATS_CA=… GROVE_NATS_CREDS=… npm run jetstream -- backup DIR [STREAM...]\n" +
      "       NATS_URL=… GROVE_NATS_CA=… GROVE_NATS_CREDS=… npm run jetstream -- restore DIR [--replace]\n",
  );
  process.exit(1);
}
const dir = resolve(dirArgument);
const nc = await connect(
  await natsConnectOptions({
    url,
    ...(process.env.GROVE_NATS_CA ? { caFile: process.env.GROVE_NATS_CA } : {}),
    ...(process.env.GROVE_NATS_CREDS ? { credsFile: process.env.GROVE_NATS_CREDS } : {}),
  }),
);
try {
  let done: { stream: string; messages: number; bytes: number }[];
  if (command === "backup") {
    await mkdir(dir, { recursive: true });
    done = await backupStreams(nc, dir, rest.length > 0 ? rest : undefined);
  } else {
    done = await restoreStreams(nc, dir, { replace: rest.includes("--replace") });
  }
  for (const s of done) {
    process.stdout.write(
      `${command === "backup" ? "saved" : "restored"} ${s.stream}: ${s.messages} messages, ${s.bytes} bytes\n`,
    );
  }
} catch (error) {
  process.stderr.write(`${command} failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await nc.close();
}
