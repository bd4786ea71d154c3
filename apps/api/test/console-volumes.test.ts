import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { alertsOf, consoleAs, developerOf, formOf, statusOf, textOf } from "./console-forms";
import { eventually, expectStatus, pushApp, startTestApi, type TestApi } from "./harness";
import { hollowCellOf } from "./hollow-cell";

interface VolumeShown {
  name: string;
  cell: string | null;
  state: string;
}

const volumes = async (t: TestApi, token: string) =>
  ((await expectStatus(await t.call("/v1/volumes", { token }), 200)) as { items: VolumeShown[] }).items;
const snapshots = async (t: TestApi, token: string) =>
  (
    (await expectStatus(await t.call("/v1/volumes/data/snapshots", { token }), 200)) as {
      items: { name: string }[];
    }
  ).items.map((s) => s.name);
const scale = async (t: TestApi, token: string, instances: number) =>
  expectStatus(await t.call("/v1/apps/web", { method: "PATCH", token, json: { instances } }), 200);

describeWith(["postgres", "nats"], "console: volumes", () => {
  it("creates, snapshots, restores and deletes through the forms (on a hollow cell); refusals change nothing and say why; a viewer sees it all without forms", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "500" });
    const cell = await hollowCellOf(t, "hollow-a", { heartbeatMs: 200 });
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    const console = consoleAs(t, admin);

    const empty = await console.get("/console/volumes");
    expect(empty.status).toBe(200);
    expect(empty.html).toContain('aria-current="page">Volumes</a>');
    expect(textOf(empty.html)).toContain("No volumes yet.");

    const made = await console.post("/console/volumes", {
      name: "data",
      size_mb: "64",
      volume_space: "default",
    });
    expect(statusOf(made)).toBe(
      "Volume data created (64 MB): it is made on a cell when an instance first mounts it.",
    );
    expect(textOf(made.html)).toContain(
      "Volume data Space default Size 64 MB, one instance at a time State ready Cell none yet (made where its first instance lands) Used by no app",
    );
    const shared = await console.post("/console/volumes", { name: "scratch", size_mb: "16", shared: "yes" });
    expect(textOf(shared.html)).toContain("Size 16 MB, shared (instances on its cell)");

    // bad input: the API's 400 or 409 at the form, what was typed kept, nothing made
    for (const [fields, status, message] of [
      [{ name: "more", size_mb: "lots" }, 400, "size_mb: "],
      [{ name: "Bad_Name", size_mb: "8" }, 400, "name: must be a DNS label"],
      [{ name: "data", size_mb: "8" }, 409, "volume data already exists"],
      [{ name: "more", size_mb: "8", volume_space: "nowhere" }, 404, "no space nowhere"],
    ] as const) {
      const refused = await console.post("/console/volumes", fields);
      expect(refused.status, message).toBe(status);
      expect(alertsOf(refused)).toContain(message);
      expect(formOf(refused, "new-volume")).toContain(`value="${fields.size_mb}"`);
    }
    expect((await volumes(t, admin)).map((v) => v.name)).toEqual(["data", "scratch"]);
    const early = await console.post("/console/volumes/data/snapshots", { name: "" });
    expect(early.status).toBe(409);
    expect(alertsOf(early)).toContain(
      "volume data has no data yet: it is made where its first instance lands",
    );

    // an app mounts it on the hollow cell, which then holds "count=7" for it
    await pushApp(t, admin, "web", { volumes: [{ name: "data", path: "/data" }] });
    const start = await eventually(async () => cell.starts[0]);
    const volumeId = start.volumes[0]?.id as string;
    cell.volumeData.set(volumeId, Buffer.from("count=7"));
    await cell.report(start, "RUNNING");
    await eventually(async () => ((await volumes(t, admin))[0]?.cell === "hollow-a" ? true : undefined));
    const used = await console.get("/console/volumes");
    expect(textOf(used.html)).toContain("State ready Cell hollow-a Used by web at /data");

    const inUse = await console.post("/console/volumes/data/delete", {});
    expect(inUse.status).toBe(409);
    expect(alertsOf(inUse)).toMatch(/^Volume in use: volume data is in use: mounted by app web/);
    const snapped = await console.post("/console/volumes/data/snapshots", { name: "before" });
    expect(statusOf(snapped)).toBe("Snapshot before of volume data stored (7 bytes).");
    expect(textOf(snapped.html)).toMatch(/Snapshots Name Stored Created Action before 7 bytes/);
    const taken = await console.post("/console/volumes/data/snapshots", { name: "before" });
    expect(taken.status).toBe(409);
    expect(alertsOf(taken)).toContain("volume data already has a snapshot before");
    const badName = await console.post("/console/volumes/data/snapshots", { name: "Not Valid" });
    expect(badName.status).toBe(400);
    expect(alertsOf(badName)).toContain("name: must be a DNS label");
    expect(formOf(badName, "volume-data-snapshot")).toContain('value="Not Valid"');
    expect(await snapshots(t, admin)).toEqual(["before"]);

    // a restore waits until no instance holds the volume; then the snapshot's data comes back
    cell.volumeData.set(volumeId, Buffer.from("count=9"));
    const held = await console.post("/console/volumes/data/snapshots/before/restore", {});
    expect(held.status).toBe(409);
    expect(alertsOf(held)).toContain("volume data is held by instance web/0 (RUNNING)");
    await scale(t, admin, 0);
    await eventually(async () => (cell.stops.includes(start.instanceId) ? true : undefined));
    await cell.report(start, "STOPPED");
    const restored = await eventually(async () => {
      const page = await console.post("/console/volumes/data/snapshots/before/restore", {});
      return page.status === 200 ? page : undefined;
    });
    expect(statusOf(restored)).toBe("Volume data is restored from before when its next instance starts.");
    expect(textOf(restored.html)).toContain(
      "State restoring… (a snapshot is copied onto the cell its next instance lands on) Cell none (its data is on its way)",
    );
    await scale(t, admin, 1);
    await eventually(async () =>
      cell.volumeData.get(volumeId)?.toString() === "count=7" ? true : undefined,
    );
    await eventually(async () => ((await volumes(t, admin))[0]?.state === "ready" ? true : undefined));
    expect(textOf((await console.get("/console/volumes")).html)).toContain("State ready Cell hollow-a");

    // a viewer reads everything, gets no forms, and a crafted post gets the API's 403
    const viewer = consoleAs(t, await developerOf(t, admin, "auditor", "viewer"));
    const seen = await viewer.get("/console/volumes");
    expect(textOf(seen.html)).toContain("Volume data Space default Size 64 MB");
    expect(textOf(seen.html)).toContain("before 7 bytes");
    expect(textOf(seen.html)).toContain("Your role changes no space here: volumes are shown read-only.");
    expect(seen.html).not.toContain('<form method="post" action="/console/volumes');
    const crafted = await viewer.post("/console/volumes/data/snapshots/before/delete", {});
    expect(crafted.status).toBe(403);
    expect(alertsOf(crafted)).toContain("this needs the developer role");
    expect(await snapshots(t, admin)).toEqual(["before"]);

    const gone = await console.post("/console/volumes/data/snapshots/before/delete", {});
    expect(statusOf(gone)).toBe("Snapshot before of volume data deleted.");
    expect(await snapshots(t, admin)).toEqual([]);
    const deleted = await console.post("/console/volumes/scratch/delete", {});
    expect(statusOf(deleted)).toBe("Volume scratch deleted, with its data and snapshots.");
    expect((await volumes(t, admin)).map((v) => v.name)).toEqual(["data"]);
  });
});
