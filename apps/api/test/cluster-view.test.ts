import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { ClusterView } from "../src/leader/view";
import { appDatabase } from "./app-database";

describeWith(["root", "postgres"], "the leader's cluster view", () => {
  it("reads only what was written since, including writes committed after a read began, stops and deletes", async ({
    pg,
  }) => {
    const { db, sql, tenantId, appId } = await appDatabase(pg, "cluster_view");
    const view = new ClusterView();
    const states = async () => {
      const { desired, actual, full } = await view.read(db);
      view.planned();
      return {
        full,
        apps: desired.map((a) => a.instances),
        instances: actual.map((i) => `${i.index}:${i.state}`).sort(),
      };
    };
    // the instances that moved (cell changed, or left) since last asked, by index
    const moved = async () => {
      const ids = view.takeMoved();
      if (ids === "all") return "all";
      const rows = await sql`select index from instances where id = any(${[...ids]}::uuid[]) order by index`;
      return rows.map((r) => r.index);
    };
    expect(await states()).toEqual({ full: true, apps: [2], instances: [] });
    expect(await moved()).toBe("all");

    await sql`insert into instances (tenant_id, app_id, index, revision)
      select ${tenantId}, ${appId}, i, 1 from generate_series(0, 1) i`;
    expect(await states()).toEqual({ full: false, apps: [2], instances: ["0:UNPLACED", "1:UNPLACED"] });

    // a write whose transaction began before a read and committed after it is read the next time
    const reserved = await sql.reserve();
    try {
      await reserved`begin`;
      await reserved`update instances set state = 'PLACED' where index = 0`;
      // nothing new to read: nothing to plan
      expect(await states()).toEqual({ full: false, apps: [], instances: [] });
      await reserved`commit`;
    } finally {
      reserved.release();
    }
    expect(await states()).toEqual({ full: false, apps: [2], instances: ["0:PLACED", "1:UNPLACED"] });
    // new to the view: both moved (from nowhere)
    expect(await moved()).toEqual([0, 1]);

    // a state of its own: not moved; to a cell: moved
    const [cell] = await sql`insert into cells (name, address, memory_mb, disk_mb, max_containers)
      values ('c', '10.9.0.3', 1024, 1024, 10) returning id`;
    await sql`update instances set state = 'RUNNING' where index = 0`;
    await sql`update instances set cell_id = ${cell?.id}, state = 'PLACED' where index = 1`;
    expect(await states()).toEqual({ full: false, apps: [2], instances: ["0:RUNNING", "1:PLACED"] });
    expect(await moved()).toEqual([1]);

    await sql`update instances set state = 'STOPPED' where index = 1`;
    await sql`update apps set instances = 1`;
    expect(await states()).toEqual({ full: false, apps: [1], instances: ["0:RUNNING"] });
    // stopped: it left the view
    expect(await moved()).toEqual([1]);
    expect(await moved()).toEqual([]);

    // a deleted app leaves no row to read: the view is read whole
    await sql`delete from apps`;
    expect(await states()).toEqual({ full: true, apps: [], instances: [] });
    expect(await moved()).toBe("all");
  });

  it("gives a round only the apps to plan: changed ones, those on a cell whose state changed, those waiting on the clock, and those of a plan not applied", async ({
    pg,
  }) => {
    const { db, sql, tenantId, appId, cell: addCell } = await appDatabase(pg, "cluster_view_plan");
    const cell = await addCell();
    const [other] = await sql`
      insert into apps (tenant_id, space_id, name, stack, command, instances, memory_mb, disk_mb, health_check)
      select tenant_id, space_id, 'api', stack, command, 1, 64, 64, '{}' from apps where id = ${appId}
      returning id`;
    await sql`insert into instances (tenant_id, app_id, index, revision, state, cell_id)
      select ${tenantId}, ${appId}, i, 1, 'RUNNING', ${cell?.id} from generate_series(0, 1) i`;
    await sql`insert into instances (tenant_id, app_id, index, revision, state)
      values (${tenantId}, ${other?.id}, 0, 1, 'UNPLACED')`;
    const view = new ClusterView();
    const names = new Map([
      [appId, "web"],
      [other?.id as string, "api"],
    ]);
    const toPlan = async (apply = true) => {
      const { desired, actual } = await view.read(db);
      if (apply) view.planned();
      return { apps: desired.map((a) => names.get(a.id)).sort(), instances: actual.length };
    };
    expect(await toPlan()).toEqual({ apps: ["api", "web"], instances: 3 });
    expect(await toPlan()).toEqual({ apps: [], instances: 0 });

    // a crashed instance: its app is planned every round until it runs again without crashes to forget
    await sql`update instances set state = 'CRASHED', crash_count = 1 where app_id = ${appId} and index = 0`;
    expect(await toPlan()).toEqual({ apps: ["web"], instances: 2 });
    expect(await toPlan()).toEqual({ apps: ["web"], instances: 2 });
    await sql`update instances set state = 'RUNNING', crash_count = 0 where app_id = ${appId}`;
    expect(await toPlan()).toEqual({ apps: ["web"], instances: 2 });
    expect(await toPlan()).toEqual({ apps: [], instances: 0 });

    // a cell draining: the apps with instances there
    await sql`update cells set state = 'draining' where id = ${cell?.id}`;
    const { actual } = await view.read(db);
    view.planned();
    expect(actual.map((i) => i.cellState)).toEqual(["draining", "draining"]);
    expect(await toPlan()).toEqual({ apps: [], instances: 0 });

    // a plan that was not applied (the round failed) is planned again, with what changed since
    await sql`update apps set instances = 3 where id = ${appId}`;
    expect(await toPlan(false)).toEqual({ apps: ["web"], instances: 2 });
    await sql`update apps set instances = 2 where id = ${other?.id}`;
    expect(await toPlan()).toEqual({ apps: ["api", "web"], instances: 3 });
    expect(await toPlan()).toEqual({ apps: [], instances: 0 });
  });

  it("plans after a later whole read only the apps whose rows differ from the view kept", async ({ pg }) => {
    const { db, sql, tenantId, appId } = await appDatabase(pg, "cluster_view_whole");
    const [other] = await sql`
      insert into apps (tenant_id, space_id, name, stack, command, instances, memory_mb, disk_mb, health_check)
      select tenant_id, space_id, 'api', stack, command, 1, 64, 64, '{}' from apps where id = ${appId}
      returning id`;
    await sql`insert into instances (tenant_id, app_id, index, revision)
      select ${tenantId}, a.id, 0, 1 from apps a`;
    // every read whole
    const view = new ClusterView({ fullEveryMs: 0 });
    const names = new Map([
      [appId, "web"],
      [other?.id as string, "api"],
    ]);
    const toPlan = async () => {
      const { desired, full } = await view.read(db);
      view.planned();
      return { full, apps: desired.map((a) => names.get(a.id)).sort() };
    };
    expect(await toPlan()).toEqual({ full: true, apps: ["api", "web"] });
    expect(await toPlan()).toEqual({ full: true, apps: [] });
    await sql`update instances set state = 'PLACED' where app_id = ${other?.id}`;
    expect(await toPlan()).toEqual({ full: true, apps: ["api"] });
    await sql`update apps set instances = 3 where id = ${appId}`;
    expect(await toPlan()).toEqual({ full: true, apps: ["web"] });
    // an instance gone from the table (deleted, as retention does): its app is planned
    await sql`delete from instances where app_id = ${appId}`;
    expect(await toPlan()).toEqual({ full: true, apps: ["web"] });
    expect(await toPlan()).toEqual({ full: true, apps: [] });
    // one waiting on the clock (a crash to restart) is planned at every whole read until it runs
    await sql`update instances set state = 'CRASHED', crash_count = 1 where app_id = ${other?.id}`;
    expect(await toPlan()).toEqual({ full: true, apps: ["api"] });
    expect(await toPlan()).toEqual({ full: true, apps: ["api"] });
  });
});
