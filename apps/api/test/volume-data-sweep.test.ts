import { VOLUME_DATA_BUCKET } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { expect } from "vitest";
import { sweepVolumeData } from "../src/volumes/sweep";
import { openVolumeData } from "../src/volumes/transfer";
import { startTestApi } from "./harness";

describeWith(["postgres", "nats"], "volume data sweep", () => {
  it("removes stored objects and chunks nothing needs once they are old enough, and nothing younger", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const store = await openVolumeData(t.nc);
    // a snapshot archive whose row was never written, and chunks of a copy whose api died mid-way
    await store.put({ name: "snapshot-00000000-0000-4000-8000-000000000000" }, blob("half a snapshot"));
    const orphanChunks = `$O.${VOLUME_DATA_BUCKET}.C.deadbeefdeadbeefdeadbe`;
    await jetstream(t.nc).publish(orphanChunks, Buffer.from("a chunk"));
    const chunkSubjects = async () => {
      const info = await (await jetstreamManager(t.nc)).streams.info(`OBJ_${VOLUME_DATA_BUCKET}`, {
        subjects_filter: `$O.${VOLUME_DATA_BUCKET}.C.>`,
      });
      return Object.keys(info.state.subjects ?? {});
    };
    expect(await chunkSubjects()).toContain(orphanChunks);

    // young: kept (a copy may still be recording its row or writing its chunks)
    expect(await sweepVolumeData(t)).toEqual({ objects: 0, chunks: 0 });
    expect(await sweepVolumeData(t, { objectMs: 0, chunkMs: 0 })).toEqual({ objects: 1, chunks: 1 });
    expect((await store.list()).filter((o) => !o.deleted)).toEqual([]);
    expect(await chunkSubjects()).toEqual([]);
  });
});

function blob(text: string): ReadableStream<Uint8Array> {
  return new Blob([Buffer.from(text)]).stream();
}
