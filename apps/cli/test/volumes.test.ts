import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Volume, VolumeSnapshot } from "@grove/client";
import { describeWith, it, type TestNats, type TestPostgres } from "@grove/testkit";
import { eventually } from "@grove/testkit/services";
import { expect, onTestFinished } from "vitest";
import { joinHollowCell } from "../../api/test/hollow-cell";
import { configHome, grove, serveApi } from "./harness";

/** A test api, a developer of acme logged in, an app directory, and acme's 64M volume data. */
async function acmeWithData(pg: TestPostgres, nats: TestNats) {
  const api = await serveApi(pg, nats);
  const config = await configHome();
  await grove(["login", "--api", api.url, "--token", await api.developerIn("acme")], { config });
  const dir = await mkdtemp(join(tmpdir(), "grove-vol-app-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "index.html"), "hi\n");
  expect((await grove(["volumes", "create", "data", "--size", "64M"], { config })).exitCode).toBe(0);
  return { api, config, dir };
}

describeWith(["postgres", "nats"], "grove volumes", () => {
  it("creates, lists, shows and deletes volumes; another tenant gets one line and 404", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    const acme = await configHome();
    await grove(["login", "--api", api.url, "--token", await api.developerIn("acme")], { config: acme });
    const globex = await configHome();
    await grove(["login", "--api", api.url, "--token", await api.developerIn("globex")], { config: globex });

    const made = await grove(["volumes", "create", "uploads", "--size", "1G", "--json"], { config: acme });
    expect(made.exitCode).toBe(0);
    expect(made.json<Volume>()).toMatchObject({ name: "uploads", size_mb: 1024, shared: false, cell: null });
    expect(
      (await grove(["volumes", "create", "cache", "--size", "64M", "--shared"], { config: acme })).exitCode,
    ).toBe(0);

    const listed = await grove(["volumes", "list"], { config: acme });
    expect(listed.stdout).toMatch(/^NAME\s+SPACE\s+SIZE\s+SHARED\s+CELL$/m);
    expect(listed.stdout).toMatch(/^cache\s+default\s+64M\s+yes\s+-$/m);
    expect(listed.stdout).toMatch(/^uploads\s+default\s+1G\s+no\s+-$/m);
    const shown = await grove(["volumes", "show", "uploads"], { config: acme });
    expect(shown.stdout).toMatch(/^size:\s+1G$/m);

    const other = await grove(["volumes", "show", "uploads"], { config: globex });
    expect(other.exitCode).toBe(1);
    expect(other.errorLines).toHaveLength(1);
    expect(other.errorLines[0]).toMatch(/no volume uploads.*404/);
    expect((await grove(["volumes", "list", "--json"], { config: globex })).json<Volume[]>()).toEqual([]);

    const bad = await grove(["volumes", "create", "x", "--size", "lots"], { config: acme });
    expect(bad.errorLines).toEqual(['grove: invalid --size "lots": use a size like 256M or 1G']);
    const duplicate = await grove(["volumes", "create", "cache", "--size", "1G"], { config: acme });
    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.errorLines[0]).toMatch(/already exists.*409/);

    expect((await grove(["volumes", "delete", "cache"], { config: acme })).stdout).toBe(
      "deleted volume cache\n",
    );
    const after = await grove(["volumes", "list", "--json"], { config: acme });
    expect(after.json<Volume[]>().map((v) => v.name)).toEqual(["uploads"]);
  }, 180_000);

  it("push --volume mounts a volume; scaling a single-writer app and deleting a volume in use say why; quota shows volumes", async ({
    pg,
    nats,
  }) => {
    const { config, dir } = await acmeWithData(pg, nats);

    const bad = await grove(["push", dir, "--name", "web", "--command", "httpd", "--volume", "data"], {
      config,
    });
    expect(bad.errorLines).toEqual(['grove: invalid --volume "data": use NAME:/PATH or NAME:/PATH:ro']);
    const missing = await grove(
      ["push", dir, "--name", "web", "--command", "httpd", "--volume", "nope:/data", "--detach"],
      { config },
    );
    expect(missing.exitCode).toBe(1);
    expect(missing.errorLines.at(-1)).toMatch(/^grove: no volume nope.*404/);
    const pushed = await grove(
      ["push", dir, "--name", "web", "--command", "httpd", "--volume", "data:/data", "--detach"],
      { config },
    );
    expect(pushed.exitCode).toBe(0);
    expect((await grove(["apps", "show", "web"], { config })).stdout).toMatch(/^volumes:\s+data:\/data$/m);

    const scaled = await grove(["scale", "web", "-i", "2"], { config });
    expect(scaled.exitCode).toBe(1);
    expect(scaled.errorLines).toHaveLength(1);
    expect(scaled.errorLines[0]).toMatch(/volume data is single-writer .*cannot run 2 instances.*422/);
    const inUse = await grove(["volumes", "delete", "data"], { config });
    expect(inUse.errorLines[0]).toMatch(/volume data is in use: mounted by app web.*409/);

    const quota = await grove(["quota"], { config });
    expect(quota.stdout).toMatch(/^volumes\s+1\s+unlimited$/m);
    expect(quota.stdout).toMatch(/^volume storage\s+64M\s+unlimited$/m);

    // unmounted, the volume can go
    const unmounted = await grove(["push", dir, "--name", "web", "--no-volumes", "--detach"], { config });
    expect(unmounted.exitCode).toBe(0);
    expect((await grove(["apps", "show", "web"], { config })).stdout).toMatch(/^volumes:\s+none$/m);
    expect((await grove(["volumes", "delete", "data"], { config })).exitCode).toBe(0);
  }, 180_000);

  it("snapshot, snapshots (list, --delete) and restore, on a hollow cell that holds the volume's bytes: refusals say why in one line", async ({
    pg,
    nats,
  }) => {
    const { api, config, dir } = await acmeWithData(pg, nats);

    // before any instance mounted it, the volume has no data to copy
    const early = await grove(["volumes", "snapshot", "data"], { config });
    expect(early.exitCode).toBe(1);
    expect(early.errorLines.at(-1)).toMatch(
      /volume data has no data yet: it is made where its first instance lands.*409/,
    );
    const none = await grove(["volumes", "snapshots", "data"], { config });
    expect(none.exitCode).toBe(0);
    expect(none.errorLines).toEqual(["no snapshots of data yet: grove volumes snapshot data"]);

    const cell = await joinHollowCell(api.nc, (await api.operator().createJoinToken()).token, "hollow-snap");
    onTestFinished(() => cell.stop());
    cell.startHeartbeats(500);
    const pushed = await grove(
      ["push", dir, "--name", "web", "--command", "httpd", "--volume", "data:/data", "--detach"],
      { config },
    );
    expect(pushed.exitCode).toBe(0);
    const start = await eventually(async () => cell.starts[0], 30_000, "web's start on the hollow cell");
    const volumeId = start.volumes[0]?.id as string;
    cell.volumeData.set(volumeId, Buffer.from("count=7"));
    await cell.report(start, "RUNNING");
    // waits read the api directly: each CLI run costs seconds on a loaded machine
    const client = api.operator("acme");
    const shown = () => client.getVolume("data");
    await eventually(async () => (await shown()).cell === "hollow-snap", 30_000, "the volume on hollow-snap");

    const named = await grove(["volumes", "snapshot", "data", "--name", "before"], { config });
    expect(named.exitCode).toBe(0);
    expect(named.errorLines).toEqual(["copying volume data (writes to it wait while it is read)…"]);
    expect(named.stdout).toMatch(/^name:\s+before$/m);
    expect(named.stdout).toMatch(/^stored:\s+1K$/m);
    expect(named.stdout).toMatch(/^counts:\s+64M against volume storage$/m);
    const timed = (await grove(["volumes", "snapshot", "data", "--json"], { config })).json<VolumeSnapshot>();
    expect(timed).toMatchObject({ volume: "data", bytes: 7, size_mb: 64 });
    expect(timed.name).toMatch(/^\d{4}-\d\d-\d\dt\d\d-\d\d-\d\dz$/);
    const taken = await grove(["volumes", "snapshot", "data", "--name", "before"], { config });
    expect(taken.errorLines.at(-1)).toMatch(/volume data already has a snapshot before.*409/);
    const listed = await grove(["volumes", "snapshots", "data"], { config });
    expect(listed.stdout).toMatch(/^NAME\s+STORED\s+CREATED$/m);
    expect(listed.stdout).toMatch(/^before\s+1K\s+\S+$/m);
    expect(listed.stdout).toContain(timed.name);

    // a restore is refused while an instance holds the volume, then brings the snapshot's bytes back
    cell.volumeData.set(volumeId, Buffer.from("count=9"));
    const held = await grove(["volumes", "restore", "data", "before"], { config });
    expect(held.exitCode).toBe(1);
    expect(held.errorLines).toHaveLength(1);
    expect(held.errorLines[0]).toMatch(
      /volume data is held by instance web\/0 \(RUNNING\); stop its apps or scale them to 0, then restore.*409/,
    );
    const missing = await grove(["volumes", "restore", "data", "nope"], { config });
    expect(missing.errorLines.at(-1)).toMatch(/no snapshot nope.*404/);
    expect((await grove(["scale", "web", "-i", "0"], { config })).exitCode).toBe(0);
    await eventually(async () => cell.stops.includes(start.instanceId), 30_000, "web/0 stopped");
    await cell.report(start, "STOPPED");
    await eventually(
      async () => (await client.listInstances("web")).every((instance) => instance.state === "STOPPED"),
      30_000,
      "web/0 stopped in the api",
    );
    const restored = await grove(["volumes", "restore", "data", "before"], { config });
    expect(restored.errorLines).toEqual([
      "volume data is restored from before when its next instance starts",
    ]);
    expect(restored.stdout).toMatch(
      /^state:\s+restoring \(a snapshot is copied onto the cell its next instance lands on\)$/m,
    );
    expect((await grove(["scale", "web", "-i", "1"], { config })).exitCode).toBe(0);
    await eventually(
      async () => cell.volumeData.get(volumeId)?.toString() === "count=7",
      30_000,
      "the snapshot's bytes on the cell",
    );
    await eventually(async () => (await shown()).state === "ready", 30_000, "the volume ready");

    const deleted = await grove(["volumes", "snapshots", "data", "--delete", "before"], { config });
    expect(deleted.stdout).toBe("deleted snapshot before of volume data\n");
    const left = (await grove(["volumes", "snapshots", "data", "--json"], { config })).json<
      VolumeSnapshot[]
    >();
    expect(left.map((snapshot) => snapshot.name)).toEqual([timed.name]);
    const again = await grove(["volumes", "snapshots", "data", "--delete", "before"], { config });
    expect(again.errorLines.at(-1)).toMatch(/no snapshot before.*404/);
  }, 240_000);
});
