import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerNotFound, ProcessNotFound } from "../src/index";
import { eventually, type GardenFixture, gardenFixture, runtimeAvailable } from "./support";

const ms = 1_000_000;

describe.runIf(runtimeAvailable)("grace time", () => {
  let fixture: GardenFixture;
  beforeAll(async () => {
    fixture = await gardenFixture({ reapIntervalMs: 100, processRetentionMs: 300 });
  });
  const handles = async () => (await fixture.garden.containers()).map((container) => container.handle);
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it("destroys a container unused for its grace time", async () => {
    await fixture.garden.create({ handle: "short-lived", graceTimeNs: 500 * ms });
    // Listing does not count as use of a container (a lookup would).
    await eventually(async () => !(await handles()).includes("short-lived"), 10_000, "expiry");
    await expect(fixture.garden.lookup("short-lived")).rejects.toBeInstanceOf(ContainerNotFound);
  });

  it("keeps a held container, and counts every call as use", async () => {
    const container = await fixture.garden.create({ handle: "held", graceTimeNs: 500 * ms });
    const release = container.hold();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await container.info()).state).toBe("active");
    release();
    const keeper = await fixture.garden.create({ handle: "kept-busy" });
    await keeper.setGraceTime(1_200 * ms);
    for (let i = 0; i < 8; i++) {
      await keeper.properties();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect((await keeper.info()).state).toBe("active");
    await eventually(
      async () => !(await handles()).includes("held"),
      10_000,
      "held container to expire after release",
    );
  });

  it("never expires a container with grace time 0", async () => {
    const container = await fixture.garden.create({ handle: "forever", graceTimeNs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await container.info()).state).toBe("active");
  });

  it("forgets a finished process after the retention period", async () => {
    const container = await fixture.garden.create({ handle: "forgetful" });
    const process = await container.run({ id: "brief", path: "true" });
    await process.wait();
    expect(await (await container.attach("brief")).wait()).toBe(0);
    await eventually(
      async () => (await container.attach("brief").catch((error) => error)) instanceof ProcessNotFound,
      5_000,
      "process to be forgotten",
    );
  });
});
