import { chmod, mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { ChildFailed } from "@grove/child";
import {
  DirectoryNotReachable,
  ensureNatsSecurity,
  startNatsServer,
  startPostgresServer,
} from "@grove/services";
import { expect } from "vitest";
import { describeWith, freePort, it } from "../src";

/** Holds 127.0.0.1:port the way another server would. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { port, server };
}

async function failureOf(work: Promise<unknown>): Promise<Error> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error("expected a failure");
  return error;
}

// Every failure names the tool, quotes its own last lines and says what to do: never a bare exit code.
describeWith(["root", "postgres", "nats"], "a service that fails explains itself", () => {
  it("initdb on a directory it cannot use quotes initdb and says what to do", async ({ tmp }) => {
    await chmod(tmp, 0o755);
    const dataDir = join(tmp, "data");
    await mkdir(dataDir);
    await writeFile(join(dataDir, "left-over"), "x");
    const error = await failureOf(
      startPostgresServer({ dataDir, socketDir: tmp, port: await freePort(), durable: false }),
    );
    expect(error).toBeInstanceOf(ChildFailed);
    expect(error.message).toMatch(/^initdb exited with code 1:\n {2}.*exists but is not empty/m);
    expect(error.message).toMatch(/Give the postgres user an empty directory it owns at .*data/);
    expect(error.message).not.toMatch(/Command failed/);
  });

  it("a data directory under a private one is refused up front, naming the directory in the way", async ({
    tmp,
  }) => {
    await chmod(tmp, 0o700);
    const error = await failureOf(
      startPostgresServer({
        dataDir: join(tmp, "pg", "data"),
        socketDir: join(tmp, "pg"),
        port: await freePort(),
        durable: false,
      }),
    );
    expect(error).toBeInstanceOf(DirectoryNotReachable);
    expect(error.message).toContain(`${tmp} (mode 0700) does not let it through`);
    expect(error.message).toMatch(/such as \/var\/lib\/grove\.$/);
  });

  it("postgres on a port another server holds quotes postgres and names the port", async ({ tmp }) => {
    await chmod(tmp, 0o755);
    const held = await holdPort();
    try {
      const error = await failureOf(
        startPostgresServer({ dataDir: join(tmp, "data"), socketDir: tmp, port: held.port, durable: false }),
      );
      expect(error).toBeInstanceOf(ChildFailed);
      expect(error.message).toMatch(/^postgres exited with code 1:\n/);
      expect(error.message).toMatch(/could not bind IPv4 address "127\.0\.0\.1": Address already in use/);
      expect(error.message).toContain(`If another server holds port ${held.port}`);
    } finally {
      held.server.close();
    }
  });

  it("nats-server on a port another server holds quotes nats-server and names the port", async ({ tmp }) => {
    const held = await holdPort();
    try {
      const security = await ensureNatsSecurity(join(tmp, "security"));
      const error = await failureOf(startNatsServer({ dir: join(tmp, "nats"), port: held.port, security }));
      expect(error).toBeInstanceOf(ChildFailed);
      expect(error.message).toMatch(/^nats-server exited with code 1:\n/);
      expect(error.message).toMatch(/address already in use/);
      expect(error.message).toContain(`If another server holds port ${held.port}`);
    } finally {
      held.server.close();
    }
  });

  it("nats-server with a store that is not a directory quotes nats-server", async ({ tmp }) => {
    const dir = join(tmp, "nats");
    await mkdir(dir);
    await writeFile(join(dir, "jetstream"), "not a directory");
    const security = await ensureNatsSecurity(join(tmp, "security"));
    const error = await failureOf(startNatsServer({ dir, port: await freePort(), security }));
    expect(error).toBeInstanceOf(ChildFailed);
    expect(error.message).toMatch(/Can't start JetStream/);
    expect(error.message).toContain(`fix what nats-server says about ${dir}`);
  });
});
