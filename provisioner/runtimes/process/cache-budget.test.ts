import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CacheBudget } from "./cache-budget.ts";

const kib = 1024;

/** Two pools (outputs and stores) with entries of `size` KiB each, used `age` minutes ago. */
function pools(entries: Record<string, { size: number; age: number }>) {
  const root = mkdtempSync(path.join(os.tmpdir(), "previewd-cache-budget-"));
  const outputs = path.join(root, "outputs");
  const stores = path.join(root, "stores");
  for (const [name, { size, age }] of Object.entries(entries)) {
    const entry = path.join(root, name);
    mkdirSync(entry, { recursive: true });
    writeFileSync(path.join(entry, "data"), Buffer.alloc(size * kib, 1));
    const then = new Date(Date.now() - age * 60_000);
    utimesSync(entry, then, then);
  }
  const left = () => [
    ...readdirSync(outputs).map((n) => `outputs/${n}`),
    ...readdirSync(stores).map((n) => `stores/${n}`),
  ];
  return { root, outputs, stores, left };
}

describe("CacheBudget", () => {
  it("removes the least recently used entries, across pools, until the rest fits the cap", async () => {
    const cache = pools({
      "outputs/oldest": { size: 400, age: 50 },
      "stores/pnpm": { size: 400, age: 40 },
      "outputs/recent": { size: 400, age: 10 },
      "stores/npm": { size: 400, age: 5 },
    });
    const evicted: string[] = [];
    const budget = new CacheBudget([cache.outputs, cache.stores], 1000 * kib, (e) =>
      evicted.push(path.relative(cache.root, e.path)),
    );
    const removed = await budget.enforce();
    expect(evicted).toEqual(["outputs/oldest", "stores/pnpm"]);
    expect(removed.map((e) => path.relative(cache.root, e.path))).toEqual(evicted);
    expect(removed.every((e) => e.bytes >= 400 * kib)).toBe(true);
    expect(cache.left().sort()).toEqual(["outputs/recent", "stores/npm"]);
    expect(await budget.enforce()).toEqual([]); // Fits now: nothing more goes.
  });

  it("never removes an entry in use; the next least recently used goes instead", async () => {
    const cache = pools({
      "stores/pnpm": { size: 400, age: 50 },
      "outputs/a": { size: 400, age: 40 },
      "outputs/b": { size: 400, age: 30 },
    });
    const budget = new CacheBudget([cache.outputs, cache.stores], 900 * kib);
    let removed: string[] = [];
    await budget.use(path.join(cache.stores, "pnpm"), async () => {
      removed = (await budget.enforce()).map((e) => path.relative(cache.root, e.path));
    });
    expect(removed).toEqual(["outputs/a"]);
    expect(cache.left().sort()).toEqual(["outputs/b", "stores/pnpm"]);
  });

  it("leaves temporary entries (a save or an eviction under way) alone", async () => {
    const cache = pools({
      "outputs/.k.1234": { size: 800, age: 90 },
      "outputs/k": { size: 100, age: 1 },
    });
    const budget = new CacheBudget([cache.outputs, cache.stores], 500 * kib);
    expect(await budget.enforce()).toEqual([]);
    expect(readdirSync(cache.outputs).sort()).toEqual([".k.1234", "k"]);
  });

  it("keeps an entry whose use started while the eviction was measuring", async () => {
    const cache = pools({ "outputs/old": { size: 600, age: 60 }, "outputs/new": { size: 600, age: 1 } });
    const budget = new CacheBudget([cache.outputs, cache.stores], 700 * kib);
    const eviction = budget.enforce();
    const seen = await budget.use(path.join(cache.outputs, "old"), async () => {
      await eviction;
      return readdirSync(cache.outputs).filter((n) => !n.startsWith("."));
    });
    expect(seen).toEqual(["old"]);
  });
});
