import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mountTmpfs, skipWithoutTmpfs } from "../../test/helpers/small-tmpfs.ts";
import { StateWriteError } from "../errors.ts";
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

  it.skipIf(skipWithoutTmpfs)(
    "fails only the saves a full disk refused, and writes again once there is space",
    async () => {
      const disk = await mountTmpfs(1024 * 1024);
      try {
        const store = new StateStore(disk.dir);
        await store.save(() => [{ id: "before" } as EnvironmentRecord]);
        await disk.fill();
        // Big enough that it cannot fit in what a nearly full page may have left.
        const big = { id: "refused", note: "x".repeat(64 * 1024) } as unknown as EnvironmentRecord;
        const refused = store.save(() => [big]);
        await expect(refused).rejects.toBeInstanceOf(StateWriteError);
        await expect(refused).rejects.toThrow(/ENOSPC/);
        expect((await readdir(disk.dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
        expect(await store.load()).toEqual([{ id: "before" }]);

        await disk.free();
        await store.save(() => [{ id: "after" } as EnvironmentRecord]);
        expect(await new StateStore(disk.dir).load()).toEqual([{ id: "after" }]);
      } finally {
        await disk.unmount();
      }
    },
  );
});
