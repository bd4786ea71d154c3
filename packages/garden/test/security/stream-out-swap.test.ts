import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container, Process } from "../../src/index";
import { type GardenFixture, gardenFixture, readAll, runtimeAvailable, sh } from "../support";

const attempts = 1000;

// The read side of docker cp's CVE-2018-15664: a directory on the streamed path is swapped for a
// symlink to a host directory between resolving the path and reading the file.
describe.runIf(runtimeAvailable)("stream out while the container swaps a directory for a symlink", () => {
  const secret = `host-secret-${randomBytes(12).toString("hex")}`;
  let fixture: GardenFixture;
  let container: Container;
  let swapper: Process | undefined;
  let hostDir: string;

  beforeAll(async () => {
    hostDir = await mkdtemp(join(tmpdir(), "grove-leak-host-"));
    await writeFile(join(hostDir, "secret"), secret);
    fixture = await gardenFixture();
    container = await fixture.garden.create({ handle: "swap-out" });
  });

  afterAll(async () => {
    await swapper?.signal("kill").catch(() => {});
    await fixture?.cleanup();
    await rm(hostDir, { recursive: true, force: true });
  });

  it(`never returns a host file in ${attempts} attempts`, async () => {
    await sh(container, "mkdir -p /leak/dir && echo inside > /leak/dir/secret");
    swapper = await container.run({
      path: "sh",
      args: [
        "-c",
        `while :; do mv /leak/dir /leak/src; mv /leak/src /leak/dir; ln -s ${hostDir} /leak/src; rm /leak/src; done`,
      ],
    });
    let streamed = 0;
    const leaked: number[] = [];
    for (let attempt = 0; attempt < attempts; attempt++) {
      const tar = await container.streamOut({ path: "/leak/src/secret" }).catch(() => undefined);
      const body = tar ? await readAll(tar).catch(() => "") : "";
      if (body.includes("inside")) streamed += 1;
      if (body.includes(secret)) leaked.push(attempt);
    }
    expect(leaked).toEqual([]);
    // the race was live: the file was streamed out while the directory was in place
    expect(streamed).toBeGreaterThan(0);
  }, 600_000);
});
