import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "examples/**/dist/", "**/*.js", "!eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "no-console": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  // The CLI and benchmarks talk to people; everything else logs through pino.
  { files: ["provisioner/cli/**", "bench/**", "test/**", "examples/**"], rules: { "no-console": "off" } },
  // Layering: only the composition root and the orchestrator's runtime registry know runtimes by name;
  // runtimes never reach up into the API; the bridge never imports runtimes.
  {
    files: ["provisioner/runtimes/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["**/api/**", "**/proxy/**", "**/cli/**", "**/orchestrator/**"] },
      ],
    },
  },
  {
    files: ["provisioner/api/**", "provisioner/proxy/**"],
    rules: { "no-restricted-imports": ["error", { patterns: ["**/runtimes/**", "**/sources/**"] }] },
  },
  {
    files: ["devtools-bridge/**"],
    rules: { "no-restricted-imports": ["error", { patterns: ["**/runtimes/**", "**/orchestrator/**"] }] },
  },
  // Seed scenarios stand alone: what they need from an environment comes in as a SeedTarget.
  {
    files: ["seed-scenarios/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["**/runtimes/**", "**/orchestrator/**", "**/api/**", "**/sources/**"] },
      ],
    },
  },
);
