import { connectDatabase } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import { sql as drizzleSql } from "drizzle-orm";
import { expect, onTestFinished } from "vitest";
import { NotFound, QuotaExceeded } from "../src/errors";
import { TenantApps } from "../src/repo/apps";
import { inOrder, SentLast, send } from "../src/repo/tx";
import { appDatabase } from "./app-database";
import { roundTripCounter } from "./round-trips";

describeWith(["root", "postgres"], "an app update's pipelined statements", () => {
  it("make the quota rows it locks, write the app, its revision and event, and refuse past a limit", async ({
    pg,
  }) => {
    const { db, sql, tenantId } = await appDatabase(pg, "app_update");
    const [space] = await sql<{ id: string }[]>`select id from spaces where tenant_id = ${tenantId}`;
    const key = { spaceId: space?.id as string, spaceName: "default", name: "web" };
    const apps = new TenantApps(db, tenantId);
    // no quota rows yet: the locks' inserts make them in the same round trip as the selects
    // what is read alongside, in the update's round trip, sees the app as changed
    let seen: unknown;
    const scaled = await apps.update(
      key,
      { instances: 3 },
      {
        actor: "t",
        event: "scaled",
        alongside: async (tx, appId) => {
          seen = (await tx.execute(drizzleSql`select instances from apps where id = ${appId}`))[0];
        },
      },
    );
    expect([scaled.instances, scaled.revision, scaled.version]).toEqual([3, 1, 2]);
    expect(seen).toEqual({ instances: 3 });
    const quotas = await sql`select (select count(*)::int from tenant_quotas) as t,
      (select count(*)::int from space_quotas) as s`;
    expect(quotas[0]).toEqual({ t: 1, s: 1 });

    // a change of what runs is recorded at its new revision beside the update, unchanged fields kept
    const changed = await apps.update(
      key,
      { command: "httpd -p 9090", env: undefined },
      { actor: "t", event: "updated" },
    );
    expect(changed.revision).toBe(2);
    const [revision] = await sql`select command, stack, memory_mb from app_revisions
      where app_id = ${changed.id} and revision = 2`;
    expect(revision).toEqual({ command: "httpd -p 9090", stack: "busybox", memory_mb: 64 });
    const events = await sql`select kind, data from app_events where app_id = ${changed.id} order by id`;
    expect(events.map((e) => e.kind)).toEqual(["scaled", "updated"]);
    expect(events[0]?.data).toMatchObject({ instances: { from: 2, to: 3 } });

    // a space quota refuses growth past it; nothing is written
    await sql`update space_quotas set instances = 4`;
    await expect(apps.update(key, { instances: 5 }, { actor: "t", event: "scaled" })).rejects.toBeInstanceOf(
      QuotaExceeded,
    );
    const [after] = await sql`select instances, version from apps where id = ${changed.id}`;
    expect(after).toEqual({ instances: 3, version: 3 });

    // a space gone since the app was read: not found, not an internal error
    await sql`delete from apps`;
    await sql`delete from spaces`;
    await expect(apps.update(key, { instances: 1 }, { actor: "t", event: "scaled" })).rejects.toBeInstanceOf(
      NotFound,
    );
  });
});

describeWith(["root", "postgres"], "an app update and the leader's writes of its instances", () => {
  it("a scale does not wait for an insert of the app's instances still open, nor holds it", async ({
    pg,
  }) => {
    const { db, sql, tenantId, appId } = await appDatabase(pg, "app_update_lock");
    const [space] = await sql<{ id: string }[]>`select id from spaces where tenant_id = ${tenantId}`;
    const key = { spaceId: space?.id as string, spaceName: "default", name: "web" };
    const apps = new TenantApps(db, tenantId);
    // the api's connections (none made yet) give up a lock wait after 2 s: a wait fails, not hangs
    const [database] = await sql<{ name: string }[]>`select current_database() as name`;
    await sql.unsafe(`alter database ${database?.name} set lock_timeout = '2s'`);
    // the leader's insert of the app's instances, open: its foreign key check holds a key share of
    // the app row until it commits
    const leader = await sql.reserve();
    try {
      await leader`begin`;
      await leader`insert into instances (tenant_id, app_id, index, revision) values (${tenantId}, ${appId}, 0, 1)`;
      // with the insert still open, the scale goes through (a lock for update would wait for it)
      const scaled = await apps.update(key, { instances: 3 }, { actor: "t", event: "scaled" });
      expect(scaled.instances).toBe(3);
      // and the insert still commits (no deadlock, nothing waited on the scale)
      await leader`insert into instances (tenant_id, app_id, index, revision) values (${tenantId}, ${appId}, 1, 1)`;
      await leader`commit`;
    } finally {
      leader.release();
    }
    const [count] = await sql`select count(*)::int as n from instances where app_id = ${appId}`;
    expect(count?.n).toBe(2);
  });
});

describeWith(["root", "postgres"], "a transaction's round trips", () => {
  it("an app update takes two: BEGIN goes with the locks, COMMIT with the writes", async ({ pg }) => {
    const { sql, tenantId, url } = await appDatabase(pg, "app_update_trips");
    const counter = await roundTripCounter(url);
    // one connection, whose statements are prepared (described) on their first use: a warm-up
    const database = connectDatabase(counter.url, { max: 1 });
    onTestFinished(() => database.close());
    const [space] = await sql<{ id: string }[]>`select id from spaces where tenant_id = ${tenantId}`;
    const key = { spaceId: space?.id as string, spaceName: "default", name: "web" };
    const apps = new TenantApps(database.db, tenantId);
    for (const instances of [3, 2]) await apps.update(key, { instances }, { actor: "t", event: "scaled" });
    counter.taken();
    const scaled = await apps.update(key, { instances: 5 }, { actor: "t", event: "scaled" });
    expect(counter.taken()).toBe(2);
    expect(scaled.instances).toBe(5);
    const [row] = await sql`select instances from apps where id = ${scaled.id}`;
    expect(row?.instances).toBe(5);
    // a transaction of one statement: one round trip for BEGIN, the statement and COMMIT
    counter.taken();
    await database.db.transaction(async (tx) => new SentLast(send(tx.execute(drizzleSql`select 1`))));
    expect(counter.taken()).toBe(1);
  });

  it("a failed statement among those sent with the COMMIT rolls the whole transaction back", async ({
    pg,
  }) => {
    const { db, sql, appId } = await appDatabase(pg, "sent_last");
    const written = await db.transaction(async (tx) => {
      await tx.execute(drizzleSql`update apps set instances = 7 where id = ${appId}`);
      return new SentLast(
        inOrder([
          send(tx.execute(drizzleSql`update apps set instances = 8 where id = ${appId}`)),
          // the app's name taken twice in its space: a unique violation
          send(
            tx.execute(drizzleSql`insert into apps (tenant_id, space_id, name, stack, command, instances,
              memory_mb, disk_mb, health_check)
              select tenant_id, space_id, name, stack, command, 1, 64, 64, '{}' from apps where id = ${appId}`),
          ),
        ]),
      );
    });
    await expect(written.read()).rejects.toMatchObject({ cause: { code: "23505" } });
    const [row] =
      await sql`select instances, (select count(*)::int from apps) as apps from apps where id = ${appId}`;
    expect(row).toEqual({ instances: 2, apps: 1 });
    // the connection is whole again: the next transaction commits
    await db.transaction(
      async (tx) => new SentLast(send(tx.execute(drizzleSql`update apps set instances = 4`))),
    );
    const [after] = await sql`select instances from apps where id = ${appId}`;
    expect(after?.instances).toBe(4);
  });
});
