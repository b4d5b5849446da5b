import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EnvironmentRecord } from "./environment-record.ts";
import { StateStore } from "./state-store.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe("StateStore", () => {
  it("starts empty and round-trips records", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "state-"));
    dirs.push(dir);
    const store = new StateStore(dir);
    expect(await store.load()).toEqual([]);
    const record = { id: "shop-main-abcd" } as EnvironmentRecord;
    await store.save(() => [record]);
    expect(await new StateStore(dir).load()).toEqual([record]);
  });

  it("coalesces concurrent saves and writes the latest snapshot", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "state-"));
    dirs.push(dir);
    const store = new StateStore(dir);
    let current: EnvironmentRecord[] = [];
    let writes = 0;
    const snapshot = () => {
      writes++;
      return current;
    };
    const saves = [];
    for (let i = 0; i < 20; i++) {
      current = [{ id: `env-${i}` } as EnvironmentRecord];
      saves.push(store.save(snapshot));
    }
    await Promise.all(saves);
    expect(writes).toBeLessThanOrEqual(2);
    expect(await store.load()).toEqual([{ id: "env-19" }]);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
