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
      return {
        full,
        apps: desired.map((a) => a.instances),
        instances: actual.map((i) => `${i.index}:${i.state}`).sort(),
      };
    };
    expect(await states()).toEqual({ full: true, apps: [2], instances: [] });

    await sql`insert into instances (tenant_id, app_id, index, revision)
      select ${tenantId}, ${appId}, i, 1 from generate_series(0, 1) i`;
    expect(await states()).toEqual({ full: false, apps: [2], instances: ["0:UNPLACED", "1:UNPLACED"] });

    // a write whose transaction began before a read and committed after it is read the next time
    const reserved = await sql.reserve();
    try {
      await reserved`begin`;
      await reserved`update instances set state = 'PLACED' where index = 0`;
      expect(await states()).toEqual({ full: false, apps: [2], instances: ["0:UNPLACED", "1:UNPLACED"] });
      await reserved`commit`;
    } finally {
      reserved.release();
    }
    expect(await states()).toEqual({ full: false, apps: [2], instances: ["0:PLACED", "1:UNPLACED"] });

    await sql`update instances set state = 'STOPPED' where index = 1`;
    await sql`update apps set instances = 1`;
    expect(await states()).toEqual({ full: false, apps: [1], instances: ["0:PLACED"] });

    // a deleted app leaves no row to read: the view is read whole
    await sql`delete from apps`;
    expect(await states()).toEqual({ full: true, apps: [], instances: [] });
  });
});
