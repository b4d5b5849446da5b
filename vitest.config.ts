import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "provisioner/**/*.test.ts",
      "devtools-bridge/**/*.test.ts",
      "seed-scenarios/**/*.test.ts",
      "infra/**/*.test.ts",
      "test/**/*.test.ts",
      "bench/**/*.test.ts",
    ],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end suites start real processes and Postgres; two cores cannot take many at once.
    maxWorkers: 2,
  },
});
