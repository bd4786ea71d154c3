import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Volume } from "@grove/client";
import { describeWith, it } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { configHome, grove, serveApi } from "./harness";

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
    const api = await serveApi(pg, nats);
    const config = await configHome();
    await grove(["login", "--api", api.url, "--token", await api.developerIn("acme")], { config });
    const dir = await mkdtemp(join(tmpdir(), "grove-vol-app-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "index.html"), "hi\n");
    expect((await grove(["volumes", "create", "data", "--size", "64M"], { config })).exitCode).toBe(0);

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
});
