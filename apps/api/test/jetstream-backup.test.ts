import { randomBytes, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { INSTANCE_EVENTS_STREAM, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { postgresBinDir, startNats, type TestNats } from "@grove/testkit/services";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { execa } from "execa";
import { expect } from "vitest";
import { TenantLogStreams } from "../src/logs/stream";
import { restoreStreams } from "../src/nats/backup";
import { ensureDeadLettersStream } from "../src/nats/dead-letters";
import {
  ensureInstanceEventsConsumer,
  ensureInstanceEventsStream,
  INSTANCE_EVENTS_CONSUMER,
} from "../src/nats/instance-events-stream";
import { ensureStreamReplicas } from "../src/nats/replicas";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** `npm run jetstream -- ARGS` as an operator runs it, against `nats` as the api's user. */
function jetstreamCommand(nats: TestNats, ...args: string[]) {
  return execa("npx", ["tsx", "infra/jetstream.ts", ...args], {
    cwd: root,
    env: nats.env("api"),
    timeout: 120_000,
  });
}

async function readAll(nc: NatsConnection, stream: string) {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream);
  const { state } = await (await jetstreamManager(nc)).streams.info(stream);
  const out: { seq: number; subject: string; data: string }[] = [];
  if (state.messages === 0) return out;
  const messages = await consumer.fetch({ max_messages: state.messages, expires: 10_000 });
  for await (const msg of messages) {
    out.push({ seq: msg.seq, subject: msg.subject, data: msg.string() });
    if (msg.info.pending === 0) break;
  }
  return out;
}

describeWith(["nats"], "JetStream backup and restore", () => {
  it("brings streams and object stores back on an empty server, the same messages and objects", async ({
    tmp,
  }) => {
    // servers of its own: a retry starts again from empty stores
    const nats = await startNats();
    const fresh = await startNats().catch(async (error) => {
      await nats.stop();
      throw error;
    });
    const nc = await nats.connect();
    const restoredNc = await fresh.connect();
    try {
      // what a running Grove keeps: its streams and object stores, with data in them
      const tenantId = randomUUID();
      const LOGS_STREAM = await new TenantLogStreams(nc, { maxBytes: 1024 * 1024 }).ensure(tenantId);
      await ensureInstanceEventsStream(nc);
      await ensureInstanceEventsConsumer(nc);
      await ensureDeadLettersStream(nc);
      await ensureStreamReplicas(nc, 1); // makes the object stores
      const js = jetstream(nc);
      for (let i = 0; i < 50; i++)
        await js.publish(subjects.logs("cell-1", tenantId, "app-1", `i-${i % 3}`), `line ${i}`);
      const bits = await new Objm(nc).open("grove-bits");
      const blob = randomBytes(1024 * 1024 + 17); // several chunks, and several snapshot messages
      await bits.putBlob({ name: "sha256-abc" }, blob);
      const volumes = await new Objm(nc).open("grove-volume-data");
      await volumes.putBlob({ name: "snapshots/v1/s1" }, new TextEncoder().encode("volume files"));
      const linesBefore = await readAll(nc, LOGS_STREAM);

      const saved = await jetstreamCommand(nats, "backup", tmp);
      expect(saved.stdout).toContain(`saved ${LOGS_STREAM}: 50 messages`);
      expect((await readdir(tmp)).sort()).toEqual(
        expect.arrayContaining([`${LOGS_STREAM}.json`, `${LOGS_STREAM}.snapshot`, "OBJ_grove-bits.snapshot"]),
      );

      // a new server with an empty store: the backup is all there is
      const restored = await jetstreamCommand(fresh, "restore", tmp);
      expect(restored.stdout).toContain("restored OBJ_grove-bits");
      expect(await readAll(restoredNc, LOGS_STREAM)).toEqual(linesBefore);
      const bitsBack = await (await new Objm(restoredNc).open("grove-bits")).getBlob("sha256-abc");
      expect(Buffer.from(bitsBack ?? []).equals(blob)).toBe(true);
      const volumeBack = await (await new Objm(restoredNc).open("grove-volume-data")).getBlob(
        "snapshots/v1/s1",
      );
      expect(new TextDecoder().decode(volumeBack ?? new Uint8Array())).toBe("volume files");
      // the configuration came back too (limits of the logs stream)
      const info = await (await jetstreamManager(restoredNc)).streams.info(LOGS_STREAM);
      expect(info.config.max_msgs_per_subject).toBe(1000);
      // and the api's durable consumer, where it was
      const consumer = await (await jetstreamManager(restoredNc)).consumers.info(
        INSTANCE_EVENTS_STREAM,
        INSTANCE_EVENTS_CONSUMER,
      );
      expect(consumer.name).toBe(INSTANCE_EVENTS_CONSUMER);

      // a stream that exists is not overwritten unless asked
      await expect(restoreStreams(restoredNc, tmp)).rejects.toThrow(/stream GROVE_\w+ exists/);
      await js.publish(subjects.logs("cell-1", tenantId, "app-1", "i-9"), "after the backup");
      await restoreStreams(restoredNc, tmp, { replace: true });
      expect(await readAll(restoredNc, LOGS_STREAM)).toEqual(linesBefore);
    } finally {
      await restoredNc.close();
      await nc.close();
      await Promise.all([nats.stop(), fresh.stop()]);
    }
  }, 240_000);
});

describeWith(["postgres"], "Postgres backup and restore (docs/operations.md)", () => {
  it("restores a dump into the database of a fresh stack, as the documented commands do", async ({
    pg,
    tmp,
  }) => {
    const source = await pg.createDatabase("backup_source");
    const target = await pg.createDatabase("backup_target"); // a fresh stack's api has migrated it
    const psql = join(postgresBinDir, "psql");
    await execa(psql, [source, "-qc", "insert into tenants (name) values ('acme')"]);
    const dump = join(tmp, "grove.dump");
    // as through `podman exec`: pg_dump writes to a pipe, pg_restore reads from standard input
    const [sourceDb, targetDb] = [source, target].map((url) => new URL(url).pathname.slice(1));
    const at = ["-h", pg.dir, "-p", String(pg.port), "-U", "postgres"];
    await execa("bash", [
      "-c",
      `"$0" "$@" | cat > ${dump}`,
      join(postgresBinDir, "pg_dump"),
      ...at,
      "-Fc",
      sourceDb as string,
    ]);
    const restored = await execa(
      join(postgresBinDir, "pg_restore"),
      ["--clean", "--if-exists", ...at, "-d", targetDb as string],
      { inputFile: dump, reject: false },
    );
    expect(restored.stderr).toBe("");
    expect(restored.exitCode).toBe(0);
    const { stdout } = await execa(psql, [target, "-tAc", "select name from tenants order by name"]);
    expect(stdout.split("\n")).toContain("acme");
  }, 120_000);
});
