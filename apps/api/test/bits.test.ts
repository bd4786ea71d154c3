import { createHash, randomBytes } from "node:crypto";
import { describeWith, it } from "@grove/testkit";
import { Objm } from "@nats-io/obj";
import { expect } from "vitest";
import { BITS_BUCKET } from "../src/nats/bits-store";
import { expectStatus, startTestApi, tarOf, webApp } from "./harness";

function tarOfBytes(name: string, content: Buffer): Promise<Buffer> {
  return tarOf({ [name]: content });
}

const sha256 = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

describeWith(["root", "postgres", "nats"], "bits upload", () => {
  it("stores uploaded bits in the object store by digest and makes a new revision", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
    const tar = await tarOfBytes("index.html", randomBytes(300_000));
    const res = await t.call("/v1/apps/web/bits", { method: "PUT", token: dev, body: tar });
    const upload = (await expectStatus(res, 200)) as {
      digest: string;
      size_bytes: number;
      uploaded: boolean;
      app: { revision: number; bits_digest: string };
    };
    expect(upload).toMatchObject({ digest: sha256(tar), size_bytes: tar.length, uploaded: true });
    expect(upload.app).toMatchObject({ revision: 2, bits_digest: sha256(tar) });
    const store = await new Objm(t.nc).open(BITS_BUCKET);
    const stored = await store.getBlob(sha256(tar));
    expect(Buffer.from(stored as Uint8Array).equals(tar)).toBe(true);
    await expectStatus(await t.call(`/v1/bits/${sha256(tar)}`, { token: dev }), 200);
    const head = await t.call(`/v1/bits/${sha256(tar)}`, { method: "HEAD", token: dev });
    expect(head.status).toBe(200);
  });

  it("skips reading the body when the tenant already has the declared digest", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    for (const name of ["web", "worker"]) {
      await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp(name) }), 201);
    }
    const tar = await tarOfBytes("app.sh", Buffer.from("echo hi\n"));
    await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", token: dev, body: tar }), 200);
    const uploadedBefore = await bytesUploaded(t.api.metrics.registry.metrics());
    const skipped = await t.call(`/v1/apps/worker/bits?digest=${sha256(tar)}`, { method: "PUT", token: dev });
    expect(await expectStatus(skipped, 200)).toMatchObject({
      digest: sha256(tar),
      uploaded: false,
      app: { revision: 2, bits_digest: sha256(tar) },
    });
    expect(await bytesUploaded(t.api.metrics.registry.metrics())).toBe(uploadedBefore);
    // the same bits again change nothing: no new revision
    const again = await t.call(`/v1/apps/web/bits?digest=${sha256(tar)}`, { method: "PUT", token: dev });
    expect(((await expectStatus(again, 200)) as { app: { revision: number } }).app.revision).toBe(2);
  });

  it("does not let another tenant use or see bits by digest alone", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const acme = await t.tenantWithToken("acme");
    const globex = await t.tenantWithToken("globex");
    for (const token of [acme, globex]) {
      await expectStatus(await t.call("/v1/apps", { method: "POST", token, json: webApp() }), 201);
    }
    const tar = await tarOfBytes("secret.txt", randomBytes(64));
    await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", token: acme, body: tar }), 200);
    await expectStatus(await t.call(`/v1/bits/${sha256(tar)}`, { token: globex }), 404);
    const claim = await t.call(`/v1/apps/web/bits?digest=${sha256(tar)}`, { method: "PUT", token: globex });
    await expectStatus(claim, 400);
  });

  it("rejects bits over the size limit with 413 and a body not matching the declared digest", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_MAX_BITS_BYTES: "4096" });
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
    const big = await tarOfBytes("big", randomBytes(8192));
    const tooLarge = (await expectStatus(
      await t.call("/v1/apps/web/bits", { method: "PUT", token: dev, body: big }),
      413,
    )) as { type: string };
    expect(tooLarge.type).toBe("urn:grove:problem:payload-too-large");
    const small = await tarOfBytes("small", Buffer.from("x"));
    const wrong = await t.call(`/v1/apps/web/bits?digest=sha256:${"0".repeat(64)}`, {
      method: "PUT",
      token: dev,
      body: small,
    });
    expect(((await expectStatus(wrong, 400)) as { errors: { field: string }[] }).errors[0]?.field).toBe(
      "digest",
    );
    const app = (await expectStatus(await t.call("/v1/apps/web", { token: dev }), 200)) as {
      revision: number;
    };
    expect(app.revision).toBe(1);
  });
});

describeWith(["root", "postgres", "nats"], "bits validation", () => {
  it("refuses an archive with an escaping path with 422 naming the member, and keeps the revision", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
    const evil = await tarOf({ "../../etc/cron.d/evil": "* * * * * root sh" });
    const res = await t.call("/v1/apps/web/bits", { method: "PUT", token: dev, body: evil });
    const problem = (await expectStatus(res, 422)) as { type: string; detail: string; entry: string };
    expect(problem.type).toBe("urn:grove:problem:invalid-archive");
    expect(problem.detail).toMatch(/path contains '\.\.'/);
    expect(problem.entry).toBe("../../etc/cron.d/evil");
    await expectStatus(await t.call(`/v1/bits/${sha256(evil)}`, { token: dev }), 404);
    const app = (await expectStatus(await t.call("/v1/apps/web", { token: dev }), 200)) as {
      revision: number;
    };
    expect(app.revision).toBe(1);
  });
});

async function bytesUploaded(metrics: Promise<string>): Promise<number> {
  const line = (await metrics).split("\n").find((l) => l.startsWith("grove_bits_uploaded_bytes_total "));
  return Number(line?.split(" ")[1] ?? 0);
}
