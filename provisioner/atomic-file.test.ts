import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./atomic-file.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "atomic-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("replaces the file whole with the mode asked for, whatever the umask", async () => {
    const file = path.join(dir, "state.json");
    await writeFileAtomic(file, "old");
    const before = process.umask(0o077);
    try {
      await writeFileAtomic(file, "new", { mode: 0o755, sync: true });
    } finally {
      process.umask(before);
    }
    expect(await readFile(file, "utf8")).toBe("new");
    expect((await stat(file)).mode & 0o777).toBe(0o755);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("leaves the old content and no temporary file when the write fails", async () => {
    const file = path.join(dir, "state.json");
    await writeFileAtomic(file, "old");
    // A folder where the file should go makes the rename fail after the temporary file is written.
    await writeFileAtomic(path.join(dir, "x"), "");
    await expect(writeFileAtomic(path.join(dir, "x", "inside"), "new")).rejects.toThrow();
    await expect(writeFileAtomic(dir, "new")).rejects.toThrow();
    expect(await readFile(file, "utf8")).toBe("old");
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});
