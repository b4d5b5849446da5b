/**
 * Run by file-log-store.test.ts with `node --expose-gc`: writes N lines into a FileLogStore and
 * prints the heap used (after GC) before and after, so the memory bound is measured, not assumed.
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { FileLogStore } from "./file-log-store.ts";

const [dir, count] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc!;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const store = await FileLogStore.open({ dir: dir! });
const heapBefore = heap();
for (let i = 0; i < Number(count); i++) {
  store.append("env-a", {
    app: i % 2 ? "api" : "web",
    stream: "stdout",
    line: `GET /products/${i} 200 in 3 ms`,
  });
}
store.flush();
const heapAfter = heap();
const envDir = path.join(dir!, "env-a");
const diskBytes = readdirSync(envDir).reduce((sum, file) => sum + statSync(path.join(envDir, file)).size, 0);
process.stdout.write(
  JSON.stringify({
    heapBefore,
    heapAfter,
    retainedLines: store.query("env-a").length,
    storeBytes: store.memoryBytes(),
    diskBytes,
  }),
);
await store.close();
