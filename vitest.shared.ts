import { defineConfig } from "vitest/config";

/**
 * The one vitest configuration every workspace shares: long timeouts for tests that start real
 * services, and a JSON report per package that `.ci/run` adds up into its closing totals line.
 */
export function groveVitestConfig(options: { integration?: boolean } = {}) {
  return defineConfig({
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: options.integration ? 60_000 : 10_000,
      hookTimeout: options.integration ? 60_000 : 10_000,
      // a test of real parts (runc, Postgres, NATS, netns cells) on CI's two busy cores gets one more
      // try; one that passes only on it is still named in the closing totals, never hidden
      retry: options.integration && process.env.CI === "true" ? 1 : 0,
      reporters: ["default", ["json", { outputFile: ".vitest-results.json" }]],
      pool: "forks",
    },
  });
}
