import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryLogStore } from "../../logs/memory-log-store.ts";
import { OutputCapture } from "./output-capture.ts";
import { PortAllocator } from "./port-allocator.ts";
import { stopGroups } from "./process-group.ts";
import { postgresUrl, startPostgres, type PostgresHandle } from "./postgres-service.ts";
import { fillTemplateSpares, templateSparesMade } from "./postgres-template.ts";

// 0700, like a user's home or `mktemp -d`: Postgres must work below it, even as root.
const base = mkdtempSync(path.join(os.tmpdir(), "previewd-pg-template-"));
const root = process.getuid?.() === 0;
// As root, clusters and templates live in a home of previewd's own (postgres-home.ts): this suite's.
const home = mkdtempSync(path.join(os.tmpdir(), "previewd-pg-home-"));
const templatesDir = root ? path.join(home, "templates") : path.join(base, "cache", "postgres");
const started: PostgresHandle[] = [];
const ports = new PortAllocator();

afterAll(async () => {
  await stopGroups(
    started.map((h) => ({ pgid: h.pid, role: "service" })),
    5_000,
  );
  await rm(base, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

async function start(envId: string, database = "app"): Promise<PostgresHandle> {
  const envDataDir = path.join(base, envId);
  const { handle } = await startPostgres({
    owner: `pg-template-test-${process.pid}`,
    envId,
    name: "db",
    database,
    envDataDir,
    port: await ports.allocate(),
    output: new OutputCapture(envId, envDataDir, new MemoryLogStore()),
    signal: new AbortController().signal,
    readyTimeoutMs: 30_000,
    templatesDir: path.join(base, "cache", "postgres"),
    home,
  });
  started.push(handle);
  return handle;
}

async function connects(handle: PostgresHandle, password: string): Promise<boolean> {
  const client = new pg.Client({ ...handle, host: "127.0.0.1", user: handle.user, password });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** The template the second test made, for database "other". */
let otherTemplate = "";

describe("Postgres clusters copied from an initdb template", () => {
  it("initialise once; each copy is its own cluster with its own password, the template's refused", async () => {
    const [a, b] = await Promise.all([start("env-a"), start("env-b")]);
    const templates = readdirSync(templatesDir).filter((name) => !name.startsWith("."));
    expect(templates).toHaveLength(1);
    expect(readdirSync(templatesDir)).toEqual(templates); // No temporary left behind.

    if (root) {
      // Each cluster where the postgres user can reach it, its own; the user's folder untouched.
      for (const { dataDir } of [a, b]) {
        expect(path.relative(home, dataDir).startsWith("..")).toBe(false);
        expect(statSync(dataDir).mode & 0o777).toBe(0o700);
        expect(statSync(dataDir).uid).not.toBe(0);
      }
      expect(statSync(base).mode & 0o777).toBe(0o700);
    }
    expect(a.password).not.toBe(b.password);
    expect(a.dataDir).not.toBe(b.dataDir);
    expect(await connects(a, a.password)).toBe(true);
    expect(await connects(b, b.password)).toBe(true);
    expect(await connects(a, b.password)).toBe(false);
    const templatePassword = (
      await readFile(path.join(templatesDir, templates[0]!, "password"), "utf8")
    ).trim();
    expect(await connects(a, templatePassword)).toBe(false);
    expect(await connects(b, templatePassword)).toBe(false);

    // Separate data: a table made in one is not in the other.
    const client = new pg.Client({ connectionString: postgresUrl(a) });
    await client.connect();
    await client.query("CREATE TABLE only_in_a (id int)");
    await client.end();
    const other = new pg.Client({ connectionString: postgresUrl(b) });
    await other.connect();
    const found = await other.query("SELECT 1 FROM pg_tables WHERE tablename = 'only_in_a'");
    await other.end();
    expect(found.rowCount).toBe(0);

    // A third environment reuses the template.
    const c = await start("env-c");
    expect(await connects(c, c.password)).toBe(true);
    expect(readdirSync(templatesDir)).toEqual(templates);
  });

  it("holds the service's database already, one template per database name", async () => {
    const databases = (template: string) => readdirSync(path.join(templatesDir, template, "pgdata", "base"));
    const before = readdirSync(templatesDir).filter((name) => !name.startsWith("."));
    // initdb's three (template1, template0, postgres) and the service's own.
    expect(databases(before[0]!)).toHaveLength(4);
    const other = await start("env-d", "other");
    const after = readdirSync(templatesDir).filter((name) => !name.startsWith("."));
    expect(after).toHaveLength(2);
    otherTemplate = after.find((name) => !before.includes(name))!;
    expect(databases(otherTemplate)).toHaveLength(4);
    const client = new pg.Client({ connectionString: postgresUrl(other) });
    await client.connect();
    const names = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname",
    );
    await client.end();
    expect(names.rows.map((row) => row.datname)).toEqual(["other", "postgres"]);
  });

  it("keeps a spare cluster, made once asked, that the next environment gets whole and alone", async () => {
    // The template of database "app" (env-e's): names are hashes, so not the first listed.
    const [template] = readdirSync(templatesDir).filter(
      (name) => !name.startsWith(".") && name !== otherTemplate,
    );
    const spare = path.join(templatesDir, template!, "spare");
    fillTemplateSpares();
    await templateSparesMade();
    expect(readdirSync(spare).sort()).toEqual(
      readdirSync(path.join(templatesDir, template!, "pgdata")).sort(),
    );
    expect(statSync(spare).mode & 0o777).toBe(0o700);

    const e = await start("env-e");
    expect(existsSync(spare)).toBe(false);
    expect(await connects(e, e.password)).toBe(true);
    // Taken by one environment: the next one copies (or takes a spare made since), never shares it.
    const f = await start("env-f");
    expect(f.dataDir).not.toBe(e.dataDir);
    expect(await connects(f, f.password)).toBe(true);
    expect(await connects(f, e.password)).toBe(false);
    fillTemplateSpares();
    await templateSparesMade();
    expect(statSync(spare).isDirectory()).toBe(true);
    expect(readdirSync(templatesDir).filter((name) => name.startsWith("."))).toEqual([]);
  });
});
