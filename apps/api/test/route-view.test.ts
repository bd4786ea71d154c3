import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { RouteView } from "../src/routing/route-view";
import { appDatabase } from "./app-database";

describeWith(["root", "postgres"], "the route emitter's view", () => {
  it("reads only the routes that may have changed: instance writes, scale, a lost cell, a crash, a delete", async ({
    pg,
  }) => {
    const { db, sql, tenantId, appId, cell: addCell } = await appDatabase(pg, "route_view");
    const cell = await addCell();
    const view = new RouteView("grove.test");
    const indexOf = new Map<string, number>();
    /** routes as `index@host:port`, and the indexes read as maybe changed (`all` when read whole) */
    const routes = async () => {
      const { current, changed } = await view.read(db);
      const index = (id: string) => indexOf.get(id) ?? -1;
      return {
        routes: [...current.values()]
          .map((r) => `${index(r.private_instance_id ?? "")}@${r.host}:${r.port}`)
          .sort(),
        changed: changed === "all" ? "all" : [...changed].map(index).sort(),
      };
    };
    expect(await routes()).toEqual({ routes: [], changed: "all" });

    const made = await sql`insert into instances (tenant_id, app_id, index, revision, cell_id, state, ports)
      select ${tenantId}, ${appId}, i, 1, ${cell?.id}, 'RUNNING',
        jsonb_build_array(jsonb_build_object('containerPort', 8080, 'hostPort', 61000 + i))
      from generate_series(0, 1) i returning id, index`;
    for (const row of made) indexOf.set(row.id, row.index);
    expect(await routes()).toEqual({
      routes: ["0@10.9.0.2:61000", "1@10.9.0.2:61001"],
      changed: [0, 1],
    });
    // nothing written: nothing read
    expect(await routes()).toEqual({ routes: ["0@10.9.0.2:61000", "1@10.9.0.2:61001"], changed: [] });

    await sql`update apps set instances = 1`;
    expect(await routes()).toEqual({ routes: ["0@10.9.0.2:61000"], changed: [0, 1] });

    // a cell's state or address is not an instance write: its running instances are read again
    await sql`update cells set state = 'lost'`;
    expect(await routes()).toEqual({ routes: [], changed: [0, 1] });
    await sql`update cells set state = 'active', address = '10.9.0.3'`;
    expect(await routes()).toEqual({ routes: ["0@10.9.0.3:61000"], changed: [0, 1] });

    await sql`update instances set state = 'CRASHED' where index = 0`;
    expect(await routes()).toEqual({ routes: [], changed: [0] });
    await sql`update instances set state = 'RUNNING' where index = 0`;
    expect(await routes()).toEqual({ routes: ["0@10.9.0.3:61000"], changed: [0] });

    // a deleted app leaves no row to read: the view is read whole
    await sql`delete from apps`;
    expect(await routes()).toEqual({ routes: [], changed: "all" });
  });
});
