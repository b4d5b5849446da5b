import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeliveryLog } from "./delivery-log.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "previewd-deliveries-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("DeliveryLog", () => {
  it("knows a delivery again after a restart", async () => {
    const file = path.join(dir, "github", "deliveries.log");
    const log = await DeliveryLog.open(file);
    expect(log.remember("a")).toBe(true);
    expect(log.remember("a")).toBe(false);
    await log.flush();
    const again = await DeliveryLog.open(file);
    expect(again.remember("a")).toBe(false);
    expect(again.remember("b")).toBe(true);
  });

  it("keeps only the newest ids and compacts its file", async () => {
    const file = path.join(dir, "deliveries.log");
    const log = await DeliveryLog.open(file, 3);
    for (const id of ["1", "2", "3", "4", "5", "6"]) log.remember(id);
    await log.flush();
    expect((await readFile(file, "utf8")).split("\n").filter(Boolean)).toEqual(["4", "5", "6"]);
    expect(log.remember("1")).toBe(true);
    expect(log.remember("6")).toBe(false);
  });
});
