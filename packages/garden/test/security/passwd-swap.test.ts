import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container, Process } from "../../src/index";
import { type GardenFixture, gardenFixture, readAll, runtimeAvailable, sh } from "../support";

const attempts = 300;

// The garden reads the container's /etc/passwd from the host to find a user's ids. A container
// root swapping it for a fifo between the garden's check and its read must not hang the garden
// (nor may a link make it read a host file or /dev/zero: those are refused the same way).
describe.runIf(runtimeAvailable)("a user lookup while the container swaps /etc/passwd for a fifo", () => {
  let fixture: GardenFixture;
  let container: Container;
  let swapper: Process | undefined;

  beforeAll(async () => {
    fixture = await gardenFixture();
    container = await fixture.garden.create({ handle: "passwd-swap" });
  });

  afterAll(async () => {
    await swapper?.signal("kill").catch(() => {});
    await fixture?.cleanup();
  });

  it(`answers every one of ${attempts} or more streams, refusing or as a named user, never hanging`, async () => {
    await sh(container, "echo hi > /tmp/f && mkfifo /etc/passwd.fifo");
    swapper = await container.run({
      path: "sh",
      args: [
        "-c",
        "while :; do mv /etc/passwd /etc/passwd.file; mv /etc/passwd.fifo /etc/passwd;" +
          " mv /etc/passwd /etc/passwd.fifo; mv /etc/passwd.file /etc/passwd; done",
      ],
    });
    let hung = 0;
    let answered = 0;
    // at least `attempts`, and on until one lookup was answered (under load the swapper can hold
    // /etc/passwd away for hundreds of lookups in a row), at most ten times as many
    for (let attempt = 0; attempt < attempts * 10 && (attempt < attempts || answered === 0); attempt++) {
      const call = container.streamOut({ path: "/tmp/f", user: "vcap" }).then(
        async (tar) => {
          await readAll(tar);
          answered += 1;
        },
        () => undefined, // vcap not found while the fifo is in place: refused, fine
      );
      const outcome = await Promise.race([call.then(() => "settled"), sleep(15_000).then(() => "hung")]);
      if (outcome === "hung") hung += 1;
      if (hung > 0) break;
    }
    expect(hung).toBe(0);
    expect(answered).toBeGreaterThan(0);
  }, 600_000);
});
