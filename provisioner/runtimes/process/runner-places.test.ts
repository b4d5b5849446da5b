import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ownerIdOf } from "../../owner-id.ts";
import { ownerDir } from "./postgres-home.ts";
import { noteOwner, sweepOwners } from "./runner-places.ts";

const scratch = mkdtempSync(path.join(os.tmpdir(), "previewd-owners-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A data dir noted in `home`, with an owner folder holding a worktree and a cluster. */
async function owner(home: string, name: string): Promise<{ dataDir: string; id: string; folder: string }> {
  const dataDir = path.join(scratch, name);
  mkdirSync(dataDir, { recursive: true });
  const id = ownerIdOf(dataDir);
  const folder = ownerDir(home, id);
  for (const dir of ["worktrees/main-1", "environments/e1/db"])
    mkdirSync(path.join(folder, dir), { recursive: true });
  writeFileSync(path.join(folder, "environments/e1/db/PG_VERSION"), "18");
  (await noteOwner(dataDir, id, home))(); // Not touched again: these tests age the notes themselves.
  return { dataDir, id, folder };
}

/** As if no previewd touched them for two hours. */
function ageNotes(home: string): void {
  const then = new Date(Date.now() - 2 * 3_600_000);
  for (const name of readdirSync(path.join(home, ".owners")))
    utimesSync(path.join(home, ".owners", name), then, then);
}

describe.runIf(process.getuid?.() === 0)("owner folders of data dirs that are gone (as root)", () => {
  it("removes them, and only them: not one whose data dir is there, runs a process, has no note or is previewd's own", async () => {
    const home = mkdtempSync(path.join(scratch, "home-"));
    const kept = await owner(home, "kept");
    const gone = await owner(home, "gone");
    const running = await owner(home, "running");
    const self = await owner(home, "self");
    const unnoted = ownerDir(home, "0123456789ab");
    mkdirSync(path.join(unnoted, "worktrees"), { recursive: true });
    for (const { dataDir } of [gone, running, self]) rmSync(dataDir, { recursive: true });
    const process_ = spawn("sleep", ["30"], {
      env: { PATH: process.env.PATH, PREVIEWD_OWNER: running.id, PREVIEWD_ENV_ID: "e1" },
      stdio: "ignore",
    });
    try {
      await new Promise((resolve) => process_.once("spawn", resolve));
      // A note a previewd touched within the hour may be a running previewd's that sees another /tmp.
      expect(await sweepOwners(self.id, home)).toEqual([]);
      expect(existsSync(gone.folder)).toBe(true);
      ageNotes(home);
      expect(await sweepOwners(self.id, home)).toEqual([gone.dataDir]);
    } finally {
      process_.kill();
    }
    expect(existsSync(gone.folder)).toBe(false);
    for (const { folder } of [kept, running, self]) expect(existsSync(folder), folder).toBe(true);
    expect(existsSync(unnoted)).toBe(true);
    expect(readdirSync(path.join(home, ".owners")).sort()).toEqual([kept.id, running.id, self.id].sort());
    expect(readdirSync(home).filter((name) => name.startsWith(".swept-"))).toEqual([]);

    // Once its process is gone, the next start sweeps that one too.
    await new Promise((resolve) => process_.once("exit", resolve));
    expect(await sweepOwners(self.id, home)).toEqual([running.dataDir]);
  });

  it("leaves a folder whose data dir comes back while the sweep runs", async () => {
    const home = mkdtempSync(path.join(scratch, "home-"));
    const back = await owner(home, "back");
    rmSync(back.dataDir, { recursive: true });
    ageNotes(home);
    // The data dir made again at the same path (rm -rf, then previewd again) between the checks.
    const made = setImmediate(() => mkdirSync(back.dataDir));
    expect(await sweepOwners("self", home, 0)).toEqual([]);
    clearImmediate(made);
    expect(existsSync(path.join(back.folder, "environments/e1/db/PG_VERSION"))).toBe(true);
  });

  it("leaves a folder whose note names another owner's data dir", async () => {
    const home = mkdtempSync(path.join(scratch, "home-"));
    const { dataDir, folder } = await owner(home, "forged");
    const other = ownerIdOf("/somewhere/else");
    mkdirSync(path.join(home, other), { recursive: true });
    writeFileSync(path.join(home, ".owners", other), JSON.stringify({ dataDir, device: 0 }));
    rmSync(dataDir, { recursive: true });
    rmSync(folder, { recursive: true });
    ageNotes(home);
    expect(await sweepOwners("self", home)).toEqual([dataDir]); // Its own note: gone, nothing left to remove.
    expect(existsSync(path.join(home, other))).toBe(true);
  });
});
