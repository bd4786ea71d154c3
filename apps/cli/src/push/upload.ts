import { createReadStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import type { AppRef, BitsUpload, GroveClient } from "@grove/client";
import { Presets, SingleBar } from "cli-progress";
import type { Output } from "../output";
import type { PackedBits } from "../pack/pack-directory";
import { formatBytes } from "../units";

/** What happened to the bits of a push. */
export type BitsOutcome = "uploaded" | "reused" | "unchanged";

/**
 * Points the app at `packed`: nothing to do when it already runs these bits; only the digest
 * when the tenant uploaded them before (for any app); otherwise an upload with a progress bar on
 * stderr (on a terminal) or one note (elsewhere).
 */
export async function sendBits(
  client: GroveClient,
  app: AppRef,
  currentDigest: string | null,
  packed: PackedBits,
  out: Output,
): Promise<{ outcome: BitsOutcome; upload: BitsUpload | undefined }> {
  if (currentDigest === packed.digest) return { outcome: "unchanged", upload: undefined };
  if (await client.hasBits(packed.digest)) {
    return { outcome: "reused", upload: await client.uploadBits(app, { digest: packed.digest }) };
  }
  const bar = out.interactive
    ? new SingleBar(
        {
          stream: process.stderr,
          format: "uploading [{bar}] {percentage}% {sent}/{size}",
          hideCursor: true,
          clearOnComplete: true,
        },
        Presets.shades_classic,
      )
    : undefined;
  const size = formatBytes(packed.sizeBytes);
  if (bar) bar.start(packed.sizeBytes, 0, { sent: formatBytes(0), size });
  else out.note(`uploading ${size}`);
  let sent = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      bar?.update(sent, { sent: formatBytes(sent), size });
      done(null, chunk);
    },
    flush(done) {
      // the API validates and stores big bits for a while after the last byte: say so
      if (bar) {
        bar.stop();
        out.note(`sent ${size}; the API is checking and storing the bits`);
      }
      done();
    },
  });
  const file = createReadStream(packed.path);
  file.on("error", (error) => counting.destroy(error));
  const body = Readable.toWeb(file.pipe(counting)) as ReadableStream<Uint8Array>;
  try {
    const upload = await client.uploadBits(app, { body, digest: packed.digest });
    return { outcome: "uploaded", upload };
  } finally {
    bar?.stop();
  }
}
