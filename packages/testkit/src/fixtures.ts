import { test as baseTest, describe } from "vitest";
import { startNats, type TestNats } from "./nats";
import { createTestNetwork, type TestNetwork } from "./netns";
import { startPostgres, type TestPostgres } from "./postgres";
import { canRun, type Requirement } from "./requirements";
import { makeTempDir } from "./temp";

interface TestFixtures {
  /** a temp dir removed after the test */
  tmp: string;
  /** a private network of netns "hosts", removed after the test */
  network: TestNetwork;
}

interface FileFixtures {
  /** one throwaway Postgres per test file, migrations applied */
  pg: TestPostgres;
  /** one throwaway nats-server -js per test file */
  nats: TestNats;
}

/**
 * vitest's `test` with Grove's fixtures. Servers are started lazily, once per file, only for the
 * tests that use them, and are stopped and deleted when the file ends, pass or fail.
 *
 * @example
 * it("stores a tenant", async ({ pg }) => { … });
 */
export const it = baseTest.extend<TestFixtures & FileFixtures>({
  tmp: async ({}, use) => {
    const dir = await makeTempDir();
    try {
      await use(dir.path);
    } finally {
      await dir.remove();
    }
  },
  network: async ({}, use) => {
    const network = await createTestNetwork();
    try {
      await use(network);
    } finally {
      await network.remove();
    }
  },
  pg: [
    async ({}, use) => {
      const pg = await startPostgres();
      try {
        await use(pg);
      } finally {
        await pg.stop();
      }
    },
    { scope: "file" },
  ],
  nats: [
    async ({}, use) => {
      const nats = await startNats();
      try {
        await use(nats);
      } finally {
        await nats.stop();
      }
    },
    { scope: "file" },
  ],
});

/**
 * `describe` for tests that need real parts: skipped where they are missing, except under CI=true,
 * where a missing part fails the run instead.
 */
export function describeWith(needs: Requirement[], name: string, body: () => void): void {
  if (canRun(needs)) describe(name, body);
  else describe.skip(`${name} (needs ${needs.join(", ")})`, body);
}
