import postgres from "postgres";
import { expect } from "vitest";
import { describeWith, it, startPostgres } from "../src";

describeWith(["root", "postgres"], "throwaway Postgres", () => {
  it("has Grove's migrations applied", async ({ pg }) => {
    const sql = postgres(pg.url, { max: 1 });
    try {
      const tables = await sql<{ table_name: string }[]>`
        select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining(["cells", "join_tokens", "tenants"]),
      );
      const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(applied[0]?.n).toBeGreaterThan(0);
    } finally {
      await sql.end();
    }
  });

  it("holds a row lock taken with SELECT … FOR UPDATE until the transaction ends", async ({ pg }) => {
    const a = postgres(pg.url, { max: 1 });
    const b = postgres(pg.url, { max: 1 });
    try {
      const [tenant] = await a<
        { id: string }[]
      >`insert into tenants (name) values ('lock-test') returning id`;
      const id = tenant?.id as string;
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = a.begin(async (tx) => {
        await tx`select * from tenants where id = ${id} for update`;
        locked();
        await released;
        await tx`update tenants set name = 'renamed' where id = ${id}`;
      });
      await isLocked;
      await expect(
        b.begin((tx) => tx`select * from tenants where id = ${id} for update nowait`),
      ).rejects.toMatchObject({ code: "55P03" });
      release();
      await holder;
      const rows = await b.begin(
        (tx) => tx<{ name: string }[]>`select name from tenants where id = ${id} for update`,
      );
      expect(rows[0]?.name).toBe("renamed");
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("creates further databases with the migrations applied", async ({ pg }) => {
    const url = await pg.createDatabase("second_db");
    const sql = postgres(url, { max: 1 });
    try {
      const rows = await sql`select count(*)::int as n from cells`;
      expect(rows[0]?.n).toBe(0);
    } finally {
      await sql.end();
    }
  });
});

describeWith(["root", "postgres"], "a throwaway Postgres with settings of its own", () => {
  it("runs with them across a restart (ALTER SYSTEM cannot raise the command line's shared buffers)", async () => {
    const pg = await startPostgres({ migrate: false, settings: { shared_buffers: "64MB" } });
    const shown = async () => {
      const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
      try {
        const [row] = await sql<{ shared_buffers: string }[]>`show shared_buffers`;
        return row?.shared_buffers;
      } finally {
        await sql.end();
      }
    };
    try {
      expect(await shown()).toBe("64MB");
      // what a bench did until it read what the server said: this is outranked by the command line
      const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
      await sql`alter system set shared_buffers = '128MB'`;
      await sql.end();
      await pg.restart();
      expect(await shown()).toBe("64MB");
    } finally {
      await pg.stop();
    }
  });
});
