import { randomBytes } from "node:crypto";
import { access, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pack } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container, Process } from "../../src/index";
import { InvalidSpec } from "../../src/index";
import { type GardenFixture, gardenFixture, runtimeAvailable, sh } from "../support";

const attempts = 1000;

function archiveOf(name: string): Readable {
  const packer = pack();
  packer.entry({ name, mode: 0o644 }, "streamed");
  packer.entry({ name: `${name}.d/inner`, mode: 0o644 }, "streamed");
  packer.finalize();
  return Readable.from(packer);
}

// docker cp's CVE-2018-15664: the destination is resolved, then swapped for a symlink to the
// host's root (or to a host directory) before the files are written.
describe.runIf(runtimeAvailable)("stream in while the container swaps its destination for a symlink", () => {
  const marker = `grove-swap-${randomBytes(6).toString("hex")}`;
  let fixture: GardenFixture;
  let container: Container;
  let swapper: Process | undefined;
  let hostDir: string;

  beforeAll(async () => {
    hostDir = await mkdtemp(join(tmpdir(), "grove-swap-host-"));
    fixture = await gardenFixture();
    container = await fixture.garden.create({ handle: "swap-in" });
  });

  afterAll(async () => {
    await swapper?.signal("kill").catch(() => {});
    await fixture?.cleanup();
    await rm(hostDir, { recursive: true, force: true });
    // only there if the attack worked
    await rm(`/${marker}`, { force: true });
    await rm(`/${marker}.d`, { recursive: true, force: true });
  });

  it(`writes nothing on the host outside the container's rootfs in ${attempts} attempts`, async () => {
    // Renames keep /swap/dest a directory or a link nearly all the time (missing only between two
    // renames); a directory the stream created in such a gap is removed again.
    const swap = [
      `mkdir -p /swap/dir; ln -s / /swap/root; ln -s ${hostDir} /swap/host`,
      "while :; do for link in root host; do",
      "rm -rf /swap/dir/*; mv -T /swap/dir /swap/dest; mv -T /swap/dest /swap/dir",
      'mv -T "/swap/$link" /swap/dest; mv -T /swap/dest "/swap/$link"',
      "done",
      "if [ -d /swap/dir ] && [ -e /swap/dest ] && [ ! -L /swap/dest ]; then rm -rf /swap/dest; fi",
      "done 2>/dev/null",
    ];
    swapper = await container.run({ path: "sh", args: ["-c", swap.join("\n")] });
    let written = 0;
    const unexpected: string[] = [];
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        await container.streamIn({ path: "/swap/dest", tar: archiveOf(marker) });
        written += 1;
      } catch (error) {
        // the destination vanishing or being a dangling link mid-stream is refused, never more
        if (!(error instanceof InvalidSpec)) unexpected.push((error as Error).message);
      }
    }
    expect(await readdir(hostDir)).toEqual([]);
    await expect(access(`/${marker}`)).rejects.toThrow();
    await expect(access(`/${marker}.d`)).rejects.toThrow();
    expect(unexpected).toEqual([]);
    expect(written).toBeGreaterThan(0);
    // the race was live: some attempts followed the link to the container's own root
    expect((await sh(container, `test -f /${marker} && echo followed`)).stdout).toBe("followed\n");
  }, 600_000);
});
