import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App, AppEvent, Instance } from "@grove/client";
import { describeWith, freePort, it } from "@grove/testkit";
import { execa } from "execa";
import { expect, onTestFinished } from "vitest";
import { builtGrove, configHome, grove, type ServedApi, serveApi } from "./harness";

async function loggedIn(api: ServedApi): Promise<string> {
  const dev = await api.developerIn("acme");
  const config = await configHome();
  await grove(["login", "--api", api.url, "--token", dev], { config });
  return config;
}

async function pushed(config: string, name: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "grove-apps-test-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "index.html"), "hi");
  const run = await grove(["push", dir, "--name", name, "--command", "httpd -f -p $PORT", "--detach"], {
    config,
  });
  expect(run.exitCode).toBe(0);
}

describeWith(["root", "postgres", "nats"], "grove apps, scale, start/stop, delete, events", () => {
  it("lists and shows apps, as tables and as JSON", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const config = await loggedIn(api);
    await pushed(config, "web");
    await pushed(config, "api");
    const table = await grove(["apps", "list"], { config });
    expect(table.exitCode).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(
      /^NAME\s+SPACE\s+STATE\s+RUNNING\s+MEMORY\s+DISK\s+REVISION\s+STACK$/,
    );
    expect(table.stdout).toMatch(/^web\s+default\s+started\s+0\/1\s+256M\s+1G\s+2\s+busybox$/m);
    expect(table.stdout.includes("\u001b[")).toBe(false);
    const list = await grove(["apps", "list", "--json"], { config });
    expect(list.json<(App & { running: string })[]>().map((a) => [a.name, a.running])).toEqual([
      ["api", "0/1"],
      ["web", "0/1"],
    ]);
    expect(Object.keys(list.json<App[]>()[0] ?? {})).not.toContain("running_instances");
    const show = await grove(["apps", "show", "web", "--json"], { config });
    const shown = show.json<{ app: App; instances: Instance[] }>();
    expect(shown.app).toMatchObject({ name: "web", command: "httpd -f -p $PORT" });
    expect(Array.isArray(shown.instances)).toBe(true);
    const human = await grove(["apps", "show", "web"], { config });
    expect(human.stdout).toMatch(/^command:\s+httpd -f -p \$PORT$/m);
    expect(human.stdout).toMatch(/^running:\s+0\/1$/m);
  });

  it("lists apps from the build the same, with V8's code cache from its second run, and without undici", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    const config = await loggedIn(api);
    await api.operator("acme").createApp({ name: "web", command: "httpd -f -p 8080" });
    await api.operator("acme").createApp({ name: "api", command: "httpd -f -p 8080", instances: 2 });
    const table = await grove(["apps", "list"], { config });
    expect(table.stdout).toMatch(/^api\s+default\s+started\s+0\/2\s/m);
    // undici (fetch, Request, Response, Headers) costs ~40 ms CPU of every start
    const built = await builtGrove();
    const detector = join(config, "undici-detector.cjs");
    await writeFile(
      detector,
      'process.on("exit", () => process.moduleLoadList.some((m) => m.includes("undici")) && process.stderr.write("undici loaded\\n"));\n',
    );
    const detected = await execa(process.execPath, ["--require", detector, "-e", "new Headers()"]);
    expect(detected.stderr).toBe("undici loaded");
    for (const cache of ["written", "used"]) {
      const fast = await grove(["apps", "list"], {
        config,
        built,
        nodeArgs: ["--require", detector],
        env: { GROVE_DEBUG: "1" },
      });
      expect(fast.stdout).toBe(table.stdout);
      expect(fast.errorLines).toEqual([expect.stringMatching(new RegExp(`^grove: code cache ${cache}: /`))]);
      expect(fast.exitCode).toBe(0);
    }
  }, 120_000);

  it("scales, stops, starts, restarts and deletes, each visible in the app and its events", async ({
    pg,
    nats,
  }) => {
    const api = await serveApi(pg, nats);
    const config = await loggedIn(api);
    await pushed(config, "web");
    const scaled = await grove(["scale", "web", "-i", "3", "-m", "512M", "--json"], { config });
    expect(scaled.json<App>()).toMatchObject({ instances: 3, memory_mb: 512 });
    const human = await grove(["scale", "web", "-i", "2"], { config });
    expect(human.stdout).toBe("scaled web: 2 instances, 512M memory, 1G disk (revision 3)\n");
    expect((await grove(["stop", "web", "--json"], { config })).json<App>().state).toBe("stopped");
    expect((await grove(["start", "web"], { config })).stdout).toBe("started web\n");
    expect((await grove(["restart", "web"], { config })).exitCode).toBe(0);
    const events = await grove(["events", "web", "--json"], { config });
    expect(events.ndjson<AppEvent>().map((e) => e.kind)).toEqual([
      "restarted",
      "started",
      "stopped",
      "scaled",
      "updated",
      "bits-uploaded",
      "created",
    ]);
    const refused = await grove(["delete", "web"], { config });
    expect(refused.errorLines).toEqual(["grove: not deleting web without --force (no terminal to ask)"]);
    expect(refused.exitCode).toBe(1);
    expect((await grove(["delete", "web", "--force"], { config })).stdout).toBe("deleted web\n");
    const gone = await grove(["apps", "show", "web"], { config });
    expect(gone.errorLines).toEqual(["grove: no app web (404 Not found)"]);
    expect(gone.exitCode).toBe(1);
  });

  it("gives exactly one stderr line and exit 1 for each error", async ({ pg, nats }) => {
    const api = await serveApi(pg, nats);
    const config = await loggedIn(api);
    await pushed(config, "web");
    const dead = `http://127.0.0.1:${await freePort()}`;
    const cases: [string[], RegExp][] = [
      [["apps", "show", "nope"], /^grove: no app nope \(404 Not found\)$/],
      [["scale", "nope", "-i", "2"], /^grove: no app nope \(404 Not found\)$/],
      [["scale", "web", "-m", "12Q"], /^grove: invalid memory "12Q": use a size like 256M or 1G$/],
      [["push", "."], /^grove: pass --name NAME \(or --image REF with the name\)$/],
      [["push", "/nonexistent-dir", "--name", "x"], /^grove: \/nonexistent-dir is not a directory$/],
      [["push", ".", "--name", "x", "--health-check", "tcp"], /^grove: invalid health check "tcp"/],
      [
        ["apps", "list", "--api", dead],
        /^grove: cannot reach the API at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
      ],
      [
        ["apps", "list", "--api", "not a url"],
        /^grove: invalid API URL "not a url": use http:\/\/HOST:PORT$/,
      ],
      [
        ["apps", "list", "--token", "grove_wrong"],
        /^grove: unknown token \(401 Unauthorized\); run grove login$/,
      ],
      [["tenants", "list"], /^grove: this needs an operator token \(403 Forbidden\)$/],
      [["scale", "web"], /^grove: scale needs -i, -m or -k$/],
      [["frobnicate"], /^grove: unknown command 'frobnicate' \(see grove --help\)$/],
      [["apps"], /^grove: grove apps needs a command: list, show/],
      [["apps", "list", "--bogus"], /^grove: unknown option '--bogus'$/],
      [["tokens", "create", "--role", "king"], /^grove: invalid role "king"/],
      [["tokens", "create", "--expires-in", "30"], /^grove: invalid expires-in "30": use a duration like/],
      [["cells", "token", "--expires-in", "3y"], /^grove: invalid expires-in "3y"/],
      [["cells", "tokens"], /^grove: grove cells tokens needs a command: list, revoke/],
    ];
    for (const [args, line] of cases) {
      const run = await grove(args, { config });
      expect({ args, lines: run.errorLines, exitCode: run.exitCode }).toMatchObject({
        lines: [expect.stringMatching(line)],
        exitCode: 1,
      });
    }
    const noLogin = await grove(["apps", "list"], { config: await configHome() });
    expect(noLogin.errorLines).toEqual([
      "grove: not logged in: run grove login --api URL --token TOKEN, or set GROVE_TOKEN",
    ]);
  });
});
