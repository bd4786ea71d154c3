import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { describe, expect, it, onTestFinished } from "vitest";
import { takeExtraCaCerts, tlsOptions } from "./extra-ca";

describe("NODE_EXTRA_CA_CERTS taken over from Node", () => {
  it("is restored for child processes and added to Node's root certificates for https", async () => {
    const dir = await mkdtemp(join(tmpdir(), "grove-extra-ca-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "ca.pem");
    await writeFile(file, "-----BEGIN CERTIFICATE-----\nxyz\n-----END CERTIFICATE-----\n");
    const env: NodeJS.ProcessEnv = { GROVE_EXTRA_CA_CERTS: file };
    takeExtraCaCerts(env);
    expect(env).toEqual({ NODE_EXTRA_CA_CERTS: file });
    expect(await tlsOptions()).toEqual({ ca: [...rootCertificates, await readFile(file, "utf8")] });
  });

  it("changes nothing when the launcher handed none over (run as `node bin/grove.js`)", async () => {
    const env: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: "/x.pem" };
    takeExtraCaCerts(env);
    expect(env).toEqual({ NODE_EXTRA_CA_CERTS: "/x.pem" });
    expect(await tlsOptions()).toEqual({});
    const empty: NodeJS.ProcessEnv = { GROVE_EXTRA_CA_CERTS: "" };
    takeExtraCaCerts(empty);
    expect(empty).toEqual({});
    expect(await tlsOptions()).toEqual({});
  });
});
