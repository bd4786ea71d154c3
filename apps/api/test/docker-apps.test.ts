import { basicAuthProxy, buildImage, pushImage, startRegistry } from "@grove/images/testing";
import { describeWith, it, type TestNats, type TestPostgres } from "@grove/testkit";
import { createCurve } from "@nats-io/nkeys";
import { sql } from "drizzle-orm";
import { expect, onTestFinished } from "vitest";
import { eventually, expectStatus, startTestApi, type TestApi } from "./harness";
import { joinHollowCell } from "./hollow-cell";

interface AppBody {
  revision: number;
  command: string;
  ports: number[];
  image: { ref: string; digest: string; private: boolean } | null;
}

const webImage = (page: string) =>
  buildImage([[{ name: "srv/index.html", body: page }]], {
    Entrypoint: ["httpd"],
    Cmd: ["-f", "-p", "8000"],
    ExposedPorts: { "8000/tcp": {} },
    User: "1000",
    WorkingDir: "/srv",
    Env: ["GREETING=hello"],
  });

async function joinToken(t: TestApi): Promise<string> {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 1 } });
  return ((await expectStatus(res, 201)) as { token: string }).token;
}

/**
 * An api (convergence every 500 ms) with app "web" of tenant acme on a private image (robot's, behind
 * basic auth), created after `before` ran (what it returns is the answer's `cell`).
 */
async function apiWithPrivateApp<C>(
  pg: TestPostgres,
  nats: TestNats,
  before: (t: TestApi) => Promise<C>,
): Promise<TestApi & { cell: C }> {
  const registry = await startRegistry();
  onTestFinished(() => registry.stop());
  await pushImage(registry.host, "team/private", "1", [await webImage("private")]);
  const guarded = await basicAuthProxy(registry, "robot", "s3cret-pass");
  onTestFinished(() => guarded.stop());
  const t = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "500" });
  const cell = await before(t);
  const dev = await t.tenantWithToken("acme");
  const image = { ref: `${guarded.host}/team/private:1`, username: "robot", password: "s3cret-pass" };
  await expectStatus(
    await t.call("/v1/apps", { method: "POST", token: dev, json: { name: "web", image } }),
    201,
  );
  return Object.assign(t, { cell });
}

describeWith(["postgres", "nats", "registry"], "docker apps", () => {
  it("pins the tag's digest at every push and starts cells on it with the image's command, user and port", async ({
    pg,
    nats,
  }) => {
    const registry = await startRegistry();
    onTestFinished(() => registry.stop());
    const v1 = await webImage("one");
    await pushImage(registry.host, "team/web", "1", [v1]);
    const t = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "500" });
    const cell = await joinHollowCell(t.nc, await joinToken(t), "hollow-a");
    onTestFinished(() => cell.stop());
    const dev = await t.tenantWithToken("acme");
    const ref = `${registry.host}/team/web:1`;
    const created = (await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: dev, json: { name: "web", image: { ref } } }),
      201,
    )) as AppBody;
    expect(created).toMatchObject({
      revision: 1,
      command: "httpd -f -p 8000",
      ports: [8000],
      image: { ref, digest: v1.manifest.digest, private: false },
    });
    const start = await eventually(async () => cell.starts[0]);
    expect(start.bitsDigest).toBeUndefined();
    expect(start.ports).toEqual([8000]);
    expect(start.image).toEqual({
      uri: `docker://${registry.host}/team/web@${v1.manifest.digest}`,
      args: ["httpd", "-f", "-p", "8000"],
      user: "1000",
      dir: "/srv",
    });

    // the same tag unchanged: nothing new; moved: a new revision on the new digest
    const patch = async (json: unknown) =>
      (await expectStatus(
        await t.call("/v1/apps/web", { method: "PATCH", token: dev, json }),
        200,
      )) as AppBody;
    expect((await patch({ image: { ref } })).revision).toBe(1);
    const v2 = await webImage("two");
    await pushImage(registry.host, "team/web", "1", [v2]);
    const moved = await patch({ image: { ref } });
    expect(moved).toMatchObject({ revision: 2, image: { digest: v2.manifest.digest } });
    const revisions = await t.db.execute<{ revision: number; digest: string }>(
      sql`select revision, image->>'digest' as digest from app_revisions order by revision`,
    );
    expect([...revisions]).toEqual([
      { revision: 1, digest: v1.manifest.digest },
      { revision: 2, digest: v2.manifest.digest },
    ]);
    // a command runs through the image's shell instead of its Entrypoint+Cmd
    const withCommand = await patch({ image: { ref }, command: "httpd -f -p 8000 -h /srv" });
    expect(withCommand).toMatchObject({ revision: 3, command: "httpd -f -p 8000 -h /srv" });
    const third = await eventually(async () => cell.starts.find((s) => s.revision === 3));
    expect(third.image?.args).toBeUndefined();
    expect(third.command).toBe("httpd -f -p 8000 -h /srv");
  });

  it("refuses a bad reference, an unknown tag or refused credentials with 422, changing nothing", async ({
    pg,
    nats,
  }) => {
    const registry = await startRegistry();
    onTestFinished(() => registry.stop());
    const image = await webImage("secret");
    await pushImage(registry.host, "team/private", "1", [image]);
    const guarded = await basicAuthProxy(registry, "robot", "s3cret-pass");
    onTestFinished(() => guarded.stop());
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    const create = (body: Record<string, unknown>) =>
      t.call("/v1/apps", { method: "POST", token: dev, json: { name: "web", ...body } });
    const refusal = async (body: Record<string, unknown>) => {
      const res = await create(body);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await expectStatus(res, 422)) as { type: string; detail: string };
      expect(problem.type).toBe("urn:grove:problem:unusable-image");
      return problem.detail;
    };
    expect(await refusal({ image: { ref: "not a reference" } })).toMatch(/expected host\[:port\]/);
    expect(await refusal({ image: { ref: `${registry.host}/team/web:9` } })).toMatch(/not found/);
    const ref = `${guarded.host}/team/private:1`;
    expect(await refusal({ image: { ref } })).toMatch(/refused access.*401/);
    expect(await refusal({ image: { ref, username: "robot", password: "wrong" } })).toMatch(/refused access/);
    const apps = await t.db.execute(sql`select 1 from apps`);
    expect(apps.length).toBe(0);

    const ok = (await expectStatus(
      await create({ image: { ref, username: "robot", password: "s3cret-pass" } }),
      201,
    )) as AppBody;
    expect(ok.image).toMatchObject({ digest: image.manifest.digest, private: true });
    expect(JSON.stringify(ok)).not.toContain("s3cret-pass");
    const [row] = await t.db.execute<{ sealed: string }>(sql`select image_credentials as sealed from apps`);
    expect(row?.sealed).toMatch(/^v1\./);
    expect(row?.sealed).not.toContain("robot");
    const events = await t.db.execute(sql`select data::text from app_events`);
    expect(JSON.stringify([...events])).not.toContain("s3cret-pass");

    // a re-push with the same credentials is no change; a failed one leaves the app as it was
    const patch = (json: unknown) => t.call("/v1/apps/web", { method: "PATCH", token: dev, json });
    expect(
      (
        (await expectStatus(
          await patch({ image: { ref, username: "robot", password: "s3cret-pass" } }),
          200,
        )) as AppBody
      ).revision,
    ).toBe(1);
    await expectStatus(
      await patch({
        image: { ref: `${guarded.host}/team/private:2`, username: "robot", password: "s3cret-pass" },
      }),
      422,
    );
    const after = (await expectStatus(await t.call("/v1/apps/web", { token: dev }), 200)) as AppBody;
    expect(after).toMatchObject({ revision: 1, image: { ref } });
  });

  it("seals a private image's credentials for the cell that pulls: only its key opens them, and no command carries them in clear", async ({
    pg,
    nats,
  }) => {
    const t = await apiWithPrivateApp(pg, nats, async (t) => {
      const cell = await joinHollowCell(t.nc, await joinToken(t), "hollow-private");
      onTestFinished(() => cell.stop());
      cell.startHeartbeats(200);
      return cell;
    });
    const cell = t.cell;
    const start = await eventually(async () => cell.starts[0], 30_000, "the start command");
    const sealed = start.image?.credentials;
    expect(sealed?.from).toMatch(/^X/);
    expect(sealed?.from).not.toBe(cell.sealKey.getPublicKey());
    const opened = cell.sealKey.open(
      new Uint8Array(Buffer.from(sealed?.box ?? "", "base64")),
      sealed?.from ?? "",
    );
    expect(JSON.parse(new TextDecoder().decode(opened ?? new Uint8Array()))).toEqual({
      username: "robot",
      password: "s3cret-pass",
    });
    // another key cannot open them, and the command as it went over NATS holds neither in clear
    expect(
      createCurve().open(new Uint8Array(Buffer.from(sealed?.box ?? "", "base64")), sealed?.from ?? ""),
    ).toBeNull();
    expect(cell.rawCommands.join("\n")).not.toMatch(/s3cret-pass|robot/);
  });

  it("crashes an instance whose sealed credentials cannot be opened, saying what to do, instead of resending", async ({
    pg,
    nats,
  }) => {
    const t = await apiWithPrivateApp(pg, nats, async () => undefined);
    // as if sealed under another key (a NATS authority made anew): the tag no longer verifies
    await t.db.execute(
      sql`update apps set image_credentials = 'v1.' || encode(convert_to(md5(random()::text) || md5(random()::text), 'UTF8'), 'base64')`,
    );
    const cell = await joinHollowCell(t.nc, await joinToken(t), "hollow-sealed");
    onTestFinished(() => cell.stop());
    const crashed = await eventually(async () => {
      const [row] = await t.db.execute<{ state: string; reason: string | null }>(
        sql`select state, reason from instances where state = 'CRASHED'`,
      );
      return row;
    });
    expect(crashed.reason).toMatch(/registry credentials of this app cannot be opened/);
    expect(crashed.reason).toMatch(/--registry-username/);
    expect(cell.starts).toEqual([]);
  });
});
