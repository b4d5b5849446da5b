/**
 * Tests spawn the CLI as users run it: compiled into dist/ by `npm run build` (`npm test` and
 * `npm ci` build first). Running them against a build older than the sources would silently
 * test old code, so the suite refuses to start instead.
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** What `tsconfig.build.json` compiles; its .tsbuildinfo is written at the end of every build. */
const sourceFolders = ["provisioner", "devtools-bridge", "seed-scenarios", "infra"];
const buildInfo = path.join(repoRoot, "dist/.tsbuildinfo");

export function assertBuildIsFresh(): void {
  const builtAt = statSync(buildInfo, { throwIfNoEntry: false })?.mtimeMs;
  if (builtAt === undefined)
    throw new Error("dist/ has no build: run `npm run build` (tests run the compiled CLI)");
  const newer = buildInputs().find((file) => statSync(file).mtimeMs > builtAt);
  if (newer)
    throw new Error(
      `dist/ is older than ${path.relative(repoRoot, newer)}: run \`npm run build\` (tests run the compiled CLI)`,
    );
}

function buildInputs(): string[] {
  const sources = sourceFolders.flatMap((folder) =>
    readdirSync(path.join(repoRoot, folder), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts") && !/\.test(-helper)?\.ts$/.test(file))
      .map((file) => path.join(repoRoot, folder, file)),
  );
  return [...sources, path.join(repoRoot, "tsconfig.json"), path.join(repoRoot, "tsconfig.build.json")];
}
