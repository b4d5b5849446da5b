import { defineConfig } from "vitest/config";

// Unit tests (beside the code) share one module graph per worker: importing it again for each
// file was most of their time. End-to-end suites (test/) keep a fresh one each.
const unit = [
  "provisioner/**/*.test.ts",
  "devtools-bridge/**/*.test.ts",
  "seed-scenarios/**/*.test.ts",
  "infra/**/*.test.ts",
  "bench/**/*.test.ts",
];

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end suites start real processes and Postgres; two cores cannot take many at once.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "unit", include: unit, isolate: false } },
      { extends: true, test: { name: "end-to-end", include: ["test/**/*.test.ts"] } },
    ],
  },
});
