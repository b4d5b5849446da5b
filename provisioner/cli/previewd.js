#!/usr/bin/env node
// The entry point (package.json `bin`): runs the CLI compiled into dist/, which `npm ci` builds
// through the `prepare` script and `npm run build` refreshes. No TypeScript is compiled at run time.
import { existsSync } from "node:fs";

const main = new URL("../../dist/provisioner/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("previewd is not built: run `npm run build` in its folder (`npm ci` builds it too)");
  process.exit(1);
}
await import(main.href);
