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
      reporters: ["default", ["json", { outputFile: ".vitest-results.json" }]],
      pool: "forks",
    },
  });
}
