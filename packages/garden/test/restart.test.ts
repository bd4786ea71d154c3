import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type GardenFixture, gardenFixture, runtimeAvailable, waitForOutput } from "./support";

describe.runIf(runtimeAvailable)("restart recovery", () => {
  let fixture: GardenFixture;
  beforeAll(async () => {
    fixture = await gardenFixture();
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it("re-attaches to a process started by a runtime that was SIGKILLed", async () => {
    const { logger: _logger, ...config } = fixture.config;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "fixtures/restart-child.ts"),
        JSON.stringify({ config, storeDir: join(fixture.dir, "images") }),
      ],
      { stdio: ["ignore", "pipe", "pipe"], cwd: join(import.meta.dirname, "..") },
    );
    try {
      await waitForOutput(child, /READY/, 30_000, "the garden child");
    } finally {
      // The Node process dies without any chance to clean up, as in a crash.
      child.kill("SIGKILL");
    }
    await new Promise((resolve) => child.once("exit", resolve));

    const pidFile = join(fixture.config.depotDir, "survivor/processes/ticker/pid");
    const pidBefore = Number(await readFile(pidFile, "utf8"));
    const garden = await fixture.reopen();
    const container = await garden.lookup("survivor");
    expect((await container.info()).processIDs).toEqual(["ticker"]);
    const ticker = await container.attach("ticker");

    let output = "";
    ticker.stdout().on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await eventually(async () => output.startsWith("tick 1\n") || undefined, 5_000, "output from the start");
    const ticks = () => Number(/tick (\d+)\n(?![\s\S]*tick)/.exec(output)?.[1] ?? 0);
    const seen = ticks();
    await eventually(async () => ticks() > seen + 3, 5_000, "output to continue");
    expect(Number(await readFile(pidFile, "utf8"))).toBe(pidBefore);
    expect(() => process.kill(pidBefore, 0)).not.toThrow();

    ticker.stdin().write("bye\n");
    expect(await ticker.wait()).toBe(9);
    await eventually(async () => output.includes("got bye"), 5_000, "stdin to arrive");
  }, 60_000);
});
