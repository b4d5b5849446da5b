import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ManifestError, NotFoundError } from "../provisioner/errors.ts";
import { listScenarioNames, resolveScenario, type ScenarioManifest } from "./load-scenario.ts";
import { directoryFiles, type ScenarioFiles } from "./scenario-files.ts";

const manifest: ScenarioManifest = {
  services: { db: { type: "postgres" } },
  apps: { api: {}, web: {} },
  flags: { "new-checkout": { type: "boolean" }, banner: { type: "string" } },
  seed: { scenarios: "seed-scenarios" },
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function monorepo(files: Record<string, string>): ScenarioFiles {
  const dir = mkdtempSync(path.join(os.tmpdir(), "scenarios-"));
  dirs.push(dir);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return directoryFiles(dir);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail("expected the promise to reject"),
    (error: Error) => error,
  );
}

describe("resolveScenario", () => {
  it("resolves every step kind, paths relative to the scenario file", async () => {
    const files = monorepo({
      "seed-scenarios/demo.yaml": `description: Demo data
flags: { new-checkout: true }
steps:
  - sql: { service: db, file: sql/products.sql }
  - sql: { service: db, query: "insert into t values (1)" }
  - http: { app: api, method: POST, path: /customers, body: { name: Ada }, expect: 201 }
  - command: { app: api, run: node seed.js, env: { COUNT: "3" } }
`,
      "seed-scenarios/sql/products.sql": "insert into products values (1);",
    });
    const scenario = await resolveScenario("demo", manifest, files);
    expect(scenario).toMatchObject({
      name: "demo",
      file: "seed-scenarios/demo.yaml",
      description: "Demo data",
      extends: null,
      chain: ["demo"],
      flags: { "new-checkout": true },
    });
    expect(scenario.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(scenario.steps).toEqual([
      expect.objectContaining({
        index: 0,
        kind: "sql",
        service: "db",
        source: "seed-scenarios/sql/products.sql",
        sql: "insert into products values (1);",
      }),
      expect.objectContaining({ index: 1, kind: "sql", source: "query", sql: "insert into t values (1)" }),
      expect.objectContaining({ index: 2, kind: "http", method: "POST", path: "/customers", expect: 201 }),
      expect.objectContaining({ index: 3, kind: "command", app: "api", env: { COUNT: "3" } }),
    ]);
  });

  it("runs extended scenarios' steps first, over several levels, and merges flags", async () => {
    const files = monorepo({
      "seed-scenarios/base.yaml": `flags: { banner: base, new-checkout: false }
steps: [{ sql: { service: db, query: "select 'base'" } }]`,
      "seed-scenarios/middle.yaml": `extends: base
flags: { banner: middle }
steps: [{ sql: { service: db, query: "select 'middle'" } }]`,
      "seed-scenarios/top.yaml": `extends: middle
steps: [{ sql: { service: db, query: "select 'top'" } }]`,
    });
    const top = await resolveScenario("top", manifest, files);
    expect(top.chain).toEqual(["base", "middle", "top"]);
    expect(top.extends).toBe("middle");
    expect(top.flags).toEqual({ banner: "middle", "new-checkout": false });
    expect(top.steps.map((s) => [s.index, s.file, s.fileIndex, s.kind === "sql" && s.sql])).toEqual([
      [0, "seed-scenarios/base.yaml", 0, "select 'base'"],
      [1, "seed-scenarios/middle.yaml", 0, "select 'middle'"],
      [2, "seed-scenarios/top.yaml", 0, "select 'top'"],
    ]);
  });

  it("reports a cycle with the file and the path around it", async () => {
    const files = monorepo({
      "seed-scenarios/a.yaml": "extends: b",
      "seed-scenarios/b.yaml": "extends: c",
      "seed-scenarios/c.yaml": "extends: a",
    });
    const error = await failure(resolveScenario("a", manifest, files));
    expect(error).toBeInstanceOf(ManifestError);
    expect(error.message).toBe("seed-scenarios/c.yaml: extends: extends forms a cycle: a -> b -> c -> a");
  });

  it("names the file, step index and field of a bad value", async () => {
    const files = monorepo({
      "seed-scenarios/demo.yaml": `steps:
  - sql: { service: db, query: "select 1" }
  - sql: { service: db, query: "select 2" }
  - http: { app: api, path: /x, expect: ok }
`,
    });
    const error = await failure(resolveScenario("demo", manifest, files));
    expect(error).toBeInstanceOf(ManifestError);
    expect(error.message).toBe(
      'seed-scenarios/demo.yaml: steps[2].http.expect: expected a status code (got "ok")',
    );
  });

  it("rejects unknown services, apps, flags, missing files and steps with two kinds", async () => {
    const files = monorepo({
      "seed-scenarios/bad.yaml": `flags: { nope: true, banner: 3 }
steps:
  - sql: { service: cache, query: "select 1" }
  - http: { app: admin, path: / }
  - command: { app: worker, run: "true" }
  - sql: { service: db, file: missing.sql }
  - sql: { service: db, query: "select 1" }
    http: { app: api, path: / }
`,
    });
    const error = (await failure(resolveScenario("bad", manifest, files))) as ManifestError;
    expect(error.errors?.map((e) => e.path)).toEqual(["steps[4]"]);
    const fixed = monorepo({
      "seed-scenarios/bad.yaml": `flags: { nope: true, banner: 3 }
steps:
  - sql: { service: cache, query: "select 1" }
  - http: { app: admin, path: / }
  - command: { app: worker, run: "true" }
  - sql: { service: db, file: missing.sql }
`,
    });
    const errors = ((await failure(resolveScenario("bad", manifest, fixed))) as ManifestError).errors;
    expect(errors).toEqual([
      { path: "steps[0].sql.service", message: 'unknown postgres service "cache" (expected one of: db)' },
      { path: "steps[1].http.app", message: 'unknown app "admin" (expected one of: api, web)' },
      { path: "steps[2].command.app", message: 'unknown app "worker" (expected one of: api, web)' },
      { path: "flags.nope", message: 'unknown flag "nope" (expected one of: new-checkout, banner)' },
      { path: "flags.banner", message: "expected a string (got 3)" },
      { path: "steps[3].sql.file", message: 'no such file "missing.sql" (seed-scenarios/missing.sql)' },
    ]);
  });

  it("an unknown scenario is a NotFoundError naming the known ones; an unknown parent is the child's error", async () => {
    const files = monorepo({ "seed-scenarios/demo.yaml": "extends: base", "seed-scenarios/empty.yml": "" });
    const unknown = await failure(resolveScenario("nope", manifest, files, { field: "name" }));
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((unknown as NotFoundError).errors?.[0]?.path).toBe("name");
    expect(unknown.message).toContain("known: demo, empty");
    const parent = await failure(resolveScenario("demo", manifest, files));
    expect(parent.message).toMatch(/^seed-scenarios\/demo\.yaml: extends: no scenario "base"/);
    expect(await failure(resolveScenario("../etc/passwd", manifest, files))).toBeInstanceOf(NotFoundError);
    expect((await resolveScenario("empty", manifest, files)).steps).toEqual([]);
  });

  it("the checksum changes with a referenced file or an extended scenario", async () => {
    const base = {
      "seed-scenarios/base.yaml": "steps: [{ sql: { service: db, file: sql/a.sql } }]",
      "seed-scenarios/sql/a.sql": "select 1;",
      "seed-scenarios/top.yaml": "extends: base",
    };
    const sum = async (files: Record<string, string>) =>
      (await resolveScenario("top", manifest, monorepo(files))).checksum;
    const original = await sum(base);
    expect(await sum(base)).toBe(original);
    expect(await sum({ ...base, "seed-scenarios/sql/a.sql": "select 2;" })).not.toBe(original);
    expect(
      await sum({ ...base, "seed-scenarios/base.yaml": `${base["seed-scenarios/base.yaml"]}\n` }),
    ).not.toBe(original);
  });
});

describe("symlinks in a monorepo's scenarios", () => {
  function withLinks(files: Record<string, string>, links: Record<string, string>): ScenarioFiles {
    const root = mkdtempSync(path.join(os.tmpdir(), "scenarios-"));
    dirs.push(root);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    for (const [file, target] of Object.entries(links)) symlinkSync(target, path.join(root, file));
    return directoryFiles(root);
  }
  const host = mkdtempSync(path.join(os.tmpdir(), "previewd-host-"));
  dirs.push(host);
  writeFileSync(path.join(host, "secret.sql"), "insert into t values ('host secret');");

  it("follows links that stay inside the monorepo", async () => {
    const files = withLinks(
      {
        "seed-scenarios/demo.yaml":
          "description: d\nsteps:\n  - sql: { service: db, file: sql/shared.sql }\n",
        "packages/fixtures/products.sql": "insert into products values (1);",
      },
      { "seed-scenarios/sql": "../packages/fixtures", "packages/fixtures/shared.sql": "products.sql" },
    );
    const scenario = await resolveScenario("demo", manifest, files);
    expect(scenario.steps[0]).toMatchObject({ kind: "sql", sql: "insert into products values (1);" });
  });

  it("refuses a SQL file leading out of the monorepo, naming the step's field, without reading it", async () => {
    const files = withLinks(
      {
        "seed-scenarios/leak.yaml":
          "description: d\nsteps:\n  - sql: { service: db, query: select 1 }\n  - sql: { service: db, file: secret.sql }\n",
      },
      { "seed-scenarios/secret.sql": path.join(host, "secret.sql") },
    );
    const error = await failure(resolveScenario("leak", manifest, files));
    expect(error).toBeInstanceOf(ManifestError);
    expect(error.message).toBe(
      `seed-scenarios/leak.yaml: steps[1].sql.file: resolves outside the monorepo (seed-scenarios/secret.sql -> ${path.join(host, "secret.sql")})`,
    );
    expect(error.message).not.toContain("host secret");
  });

  it("refuses a scenario file, an extended one and a scenario folder leading out", async () => {
    writeFileSync(path.join(host, "base.yaml"), "description: host\nsteps: []\n");
    const files = withLinks(
      { "seed-scenarios/child.yaml": "description: d\nextends: base\nsteps: []\n" },
      {
        "seed-scenarios/base.yaml": path.join(host, "base.yaml"),
        "seed-scenarios/own.yaml": path.join(host, "base.yaml"),
      },
    );
    expect((await failure(resolveScenario("own", manifest, files))).message).toMatch(
      /^seed-scenarios\/own\.yaml: resolves outside the monorepo \(/,
    );
    expect((await failure(resolveScenario("child", manifest, files))).message).toMatch(
      /^seed-scenarios\/child\.yaml: extends: seed-scenarios\/base\.yaml resolves outside the monorepo \(/,
    );
    const folder = withLinks({}, { "seed-scenarios": host });
    expect((await failure(listScenarioNames(manifest, folder))).message).toMatch(
      /^preview\.yaml: seed\.scenarios: resolves outside the monorepo \(/,
    );
  });
});

describe("listScenarioNames", () => {
  it("lists .yaml and .yml files, sorted", async () => {
    const files = monorepo({
      "seed-scenarios/b.yaml": "",
      "seed-scenarios/a.yml": "",
      "seed-scenarios/notes.txt": "",
      "seed-scenarios/sql/x.sql": "",
    });
    expect(await listScenarioNames(manifest, files)).toEqual(["a", "b"]);
    expect(await listScenarioNames({ ...manifest, seed: { scenarios: "nowhere" } }, files)).toEqual([]);
  });
});
