import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ProvisionError } from "../../errors.ts";
import { postgresPlace, removeOrphanPostgresData, removePostgresData } from "./postgres-home.ts";

// Root only: not root, Postgres runs as previewd's user and nothing lives outside the data dir.
const root = process.getuid?.() === 0;
if (!root && process.env.PREVIEWD_REQUIRE_ALL === "1")
  throw new Error("postgres-home.test.ts must run as root (PREVIEWD_REQUIRE_ALL=1)");

const base = mkdtempSync(path.join(os.tmpdir(), "previewd-pg-home-")); // 0700, like /root
afterAll(() => rm(base, { recursive: true, force: true }));

const options = (home: string, envId: string) => ({
  owner: `home-test-${process.pid}`,
  envId,
  envDataDir: path.join(base, "data", envId),
  name: "db",
  templatesDir: path.join(base, "data", "cache"),
  home,
});

describe.skipIf(!root)("where Postgres lives when previewd is root", () => {
  it("a home the postgres user can reach: its clusters there, the user's folders left as they were", async () => {
    const home = path.join(os.tmpdir(), path.basename(base) + "-home");
    try {
      const place = await postgresPlace(options(home, "env-a"));
      expect(place.runAs?.uid).not.toBe(0);
      expect(path.dirname(place.clusterDir)).toBe(place.scratchDir);
      expect(place.clusterDir.startsWith(home + path.sep)).toBe(true);
      expect(place.binaries.postgres.startsWith(home + path.sep)).toBe(true);
      expect(place.templatesDir).toBe(path.join(home, "templates"));
      expect(statSync(place.scratchDir).mode & 0o777).toBe(0o755);
      expect(statSync(base).mode & 0o777).toBe(0o700);
      expect(existsSync(path.join(base, "data"))).toBe(false);

      // Another environment of the same owner, then a restart that knows only env-b.
      await postgresPlace(options(home, "env-b"));
      expect(await removeOrphanPostgresData(`home-test-${process.pid}`, new Set(["env-b"]), home)).toEqual([
        "env-a",
      ]);
      await removePostgresData(`home-test-${process.pid}`, "env-b", home);
      // The last environment gone, its owner's folder goes too; binaries and templates are kept.
      expect(readdirSync(home).sort()).toEqual(["postgres", "templates"]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("a home below a folder the postgres user cannot enter: a clear error, nothing left behind", async () => {
    const home = path.join(base, "home");
    const error = await postgresPlace(options(home, "env-c")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisionError);
    expect(error).toMatchObject({ step: "services", app: "db" });
    expect((error as Error).message).toMatch(/^the postgres OS user \(uid \d+\) cannot reach \//);
    expect(readdirSync(home).sort()).toEqual(["postgres", "templates"]); // no environment
    expect(readdirSync(path.join(home, "postgres"))).toEqual([]); // no copy it could not run
    expect(statSync(base).mode & 0o777).toBe(0o700);
  });
});
