#!/usr/bin/env node
// The published entry point: previewd runs from TypeScript source through tsx, with no build step.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
