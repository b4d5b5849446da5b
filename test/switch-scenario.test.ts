import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentEvent, EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import type { ScenarioSummary } from "../provisioner/environments/scenario-api-schema.ts";
import { dumpDatabase } from "../seed-scenarios/database-dump.ts";
import type { FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { eventually, labelledProcesses, ownerIdOf } from "./helpers/processes.ts";
import { createSeededRepo } from "./helpers/seeded-fixture.ts";

let harness: Harness;
let repo: FixtureRepo;
let env: EnvironmentView;

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

beforeAll(async () => {
  repo = createSeededRepo();
  repo.git("branch", "other", "main");
  harness = await startHarness();
});
afterAll(async () => harness?.close());

const api = () => env.apps.api!.directUrl!;
const items = async (url = api()) => (await (await fetch(`${url}/items`)).json()) as string[];
const pid = async () => ((await (await fetch(`${api()}/pid`)).json()) as { pid: number }).pid;
const dbUrl = (id: string) => harness.previewd.orchestrator.record(id).deployment!.services.db!.url;
const load = (id: string, name: string) =>
  harness.request<Problem & Partial<Pick<EnvironmentView, "scenario" | "seed" | "flags">>>(
    "POST",
    `/v1/environments/${id}/scenario`,
    { name },
  );

describe("creating an environment", () => {
  it("an unknown scenario is a 404 problem and creates nothing", async () => {
    const reply = await harness.request<Problem>("POST", "/v1/environments", {
      repo: repo.dir,
      ref: "main",
      scenario: "nope",
    });
    expect(reply.status).toBe(404);
    expect(reply.headers.get("content-type")).toContain("application/problem+json");
    expect(reply.body.errors?.[0]?.path).toBe("scenario");
    expect(reply.body.detail).toContain('no scenario "nope"');
    expect(harness.previewd.orchestrator.list()).toEqual([]);
    expect(labelledProcesses({ owner: ownerIdOf(harness.dataDir) })).toEqual([]);
  });

  it("loads the manifest's default scenario once every app is healthy, with its flags", async () => {
    const reply = await harness.create({ repo: repo.dir, ref: "main" });
    env = reply.body;
    expect(reply.status).toBe(201);
    expect(env).toMatchObject({ status: "ready", scenario: "base", flags: { banner: "base", big: false } });
    expect(env.seed).toMatchObject({ scenario: "base", checksum: expect.stringMatching(/^sha256:/) });
    expect(env.timings.seed).toBeGreaterThanOrEqual(0);
    expect(await items()).toEqual(["a", "b"]);
    const events = (await harness.previewd.orchestrator.events(env.id)).filter((e) => e.step === "seed");
    expect(events.map((e) => e.message)).toContain("base: step 1/1 sql db: seed-scenarios/sql/base.sql");
  });
});

describe("listing scenarios", () => {
  it("gives each scenario's description, parent, step count and checksum; a cycle is an error naming the file", async () => {
    const reply = await harness.request<ScenarioSummary[]>("GET", `/v1/environments/${env.id}/scenarios`);
    expect(reply.status).toBe(200);
    const byName = Object.fromEntries(reply.body.map((s) => [s.name, s]));
    expect(Object.keys(byName)).toEqual([
      "bad-sql",
      "base",
      "broken",
      "cycle-a",
      "cycle-b",
      "empty",
      "middle",
      "top",
    ]);
    expect(byName.top).toMatchObject({ extends: "middle", steps: 4, error: null });
    expect(byName.base?.checksum).toBe(env.seed?.checksum);
    expect(byName.middle?.description).toBe("The base items, one from a query and one through the api");
    expect(byName["cycle-a"]?.error).toBe(
      "seed-scenarios/cycle-b.yaml: extends: extends forms a cycle: cycle-a -> cycle-b -> cycle-a",
    );
  });
});

describe("switching scenarios", () => {
  let topDump: string;

  it("resets and loads a three-level chain of sql file, query, http and command steps, without restarting apps", async () => {
    const before = await pid();
    const reply = await load(env.id, "top");
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ scenario: "top", seed: { scenario: "top" }, flags: { big: true } });
    // The base's own rows come back once: the load started from the reset state, not on top of base.
    expect(await items()).toEqual(["a", "b", "c", "from-http", "from-command-hi"]);
    expect(await pid()).toBe(before);
    topDump = await dumpDatabase(dbUrl(env.id));
    expect(topDump).toContain('[5,"from-command-hi","command"]');
    const seedEvents = harness.previewd.orchestrator
      .events(env.id)
      .filter((e: EnvironmentEvent) => e.step === "seed");
    expect(
      seedEvents.filter((e) => e.status === "succeeded").map((e) => e.message.replace(/ \(\d+ ms\)$/, "")),
    ).toEqual([
      "top: step 1/4 sql db: seed-scenarios/sql/base.sql",
      "top: step 2/4 sql db: insert into items (name, source) values ('c', 'query')",
      "top: step 3/4 http api: POST /items",
      "top: step 4/4 command api: node add-item.js",
    ]);
  });

  it("gives identical table contents every time the same scenario is loaded", async () => {
    expect((await load(env.id, "empty")).status).toBe(200);
    expect(await items()).toEqual([]);
    for (let round = 0; round < 2; round++) {
      expect((await load(env.id, "top")).status).toBe(200);
      expect(await dumpDatabase(dbUrl(env.id))).toBe(topDump);
    }
  });

  it("resets by renaming a copy of the snapshot made ahead of time, then makes the next copy", async () => {
    const url = dbUrl(env.id);
    const database = new URL(url).pathname.slice(1);
    const oids = async () => {
      const admin = new URL(url);
      admin.pathname = "/postgres";
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      try {
        const rows = (await client.query("SELECT datname, oid FROM pg_database")).rows as {
          datname: string;
          oid: number;
        }[];
        return Object.fromEntries(rows.map((row) => [row.datname, Number(row.oid)]));
      } finally {
        await client.end();
      }
    };
    const spare = `${database}__previewd_spare`;
    const ready = await eventually(async () => {
      const found = await oids();
      expect(found[spare]).toBeDefined();
      return found;
    }, 10_000);
    expect((await load(env.id, "top")).status).toBe(200);
    const after = await oids();
    expect(after[database]).toBe(ready[spare]);
    expect(await dumpDatabase(url)).toBe(topDump);
    await eventually(async () => {
      const next = (await oids())[spare];
      expect(next).toBeDefined();
      expect(next).not.toBe(ready[spare]);
    }, 10_000);
  });

  it("gives the same flags too: a switch puts every flag back to its default, then sets the scenario's", async () => {
    const flagsUrl = `/v1/environments/${env.id}/flags`;
    expect((await harness.request("PATCH", flagsUrl, { banner: "from-api", big: true })).status).toBe(200);
    const empty = await load(env.id, "empty");
    expect(empty.status).toBe(200);
    expect(empty.body.flags).toEqual({ banner: "hello", big: false });
    const changes = harness.previewd.logs
      .query(env.id, { apps: ["previewd"], grep: "(scenario empty)" })
      .map((entry) => entry.line);
    expect(changes).toEqual(
      expect.arrayContaining([
        'flag banner: "from-api" -> "hello" (scenario empty)',
        "flag big: true -> false (scenario empty)",
      ]),
    );
    for (let round = 0; round < 2; round++) {
      expect((await harness.request("PATCH", flagsUrl, { banner: `round-${round}` })).status).toBe(200);
      expect((await load(env.id, "top")).body.flags).toEqual({ banner: "base", big: true });
    }
    expect((await load(env.id, "base")).body.flags).toEqual({ banner: "base", big: false });
  });

  it("a failing step answers with its index, kind and output, and leaves the data at the reset state", async () => {
    const before = await pid();
    const reply = await load(env.id, "broken");
    expect(reply.status).toBe(422);
    expect(reply.headers.get("content-type")).toContain("application/problem+json");
    expect(reply.body).toMatchObject({
      type: "scenario-step",
      scenario: "broken",
      index: 3,
      kind: "command",
      file: "seed-scenarios/broken.yaml",
      fileIndex: 2,
      output: ["failing output", "to stderr"],
    });
    expect(reply.body.detail).toContain("exited with code 4");
    expect(await items()).toEqual([]);
    expect(await pid()).toBe(before);
    const after = (await harness.request<EnvironmentView>("GET", `/v1/environments/${env.id}`)).body;
    expect(after).toMatchObject({ status: "ready", scenario: null, seed: null });

    const sql = await load(env.id, "bad-sql");
    expect(sql.body).toMatchObject({ status: 422, index: 1, kind: "sql" });
    expect(sql.body.output).toEqual(['ERROR: relation "nowhere" does not exist (at line 1)']);
    expect(await items()).toEqual([]);
  });

  it("an unknown scenario is a 404 problem, a cycle a 422 naming the file, and neither changes the data", async () => {
    expect((await load(env.id, "middle")).status).toBe(200);
    const unknown = await load(env.id, "nope");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toContain("application/problem+json");
    expect(unknown.body.errors?.[0]?.path).toBe("name");
    const cycle = await load(env.id, "cycle-a");
    expect(cycle.status).toBe(422);
    expect(cycle.body.detail).toContain("seed-scenarios/cycle-b.yaml: extends: extends forms a cycle");
    const invalid = await load(env.id, "../x");
    expect(invalid.status).toBe(404);
    expect(await items()).toEqual(["a", "b", "c", "from-http"]);
  });

  it("switching one environment's scenario leaves another environment's data alone", async () => {
    const other = (await harness.create({ repo: repo.dir, ref: "other", scenario: "top" })).body;
    expect(other).toMatchObject({ status: "ready", scenario: "top" });
    const otherDump = await dumpDatabase(dbUrl(other.id));
    expect((await load(env.id, "empty")).status).toBe(200);
    expect((await load(env.id, "base")).status).toBe(200);
    expect(await dumpDatabase(dbUrl(other.id))).toBe(otherDump);
    expect(await items(other.apps.api!.directUrl!)).toEqual(["a", "b", "c", "from-http", "from-command-hi"]);
    expect(await items()).toEqual(["a", "b"]);
  });

  it("redeploy keeps the data and does not re-seed", async () => {
    await fetch(`${api()}/items`, { method: "POST", body: JSON.stringify({ name: "kept" }) });
    expect((await harness.request("POST", `/v1/environments/${env.id}/redeploy`)).status).toBe(202);
    await harness.previewd.orchestrator.idle();
    expect(await items()).toEqual(["a", "b", "kept"]);
    expect(harness.previewd.orchestrator.get(env.id)).toMatchObject({ status: "ready", scenario: "base" });
  });

  it("`previewd scenario <env> <name>` loads a scenario; without a name it lists them", async () => {
    const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "../provisioner/cli/previewd.js");
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [cli, ...args, "--server", harness.url], (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const loaded = await run("scenario", env.id, "middle");
    expect(loaded.stdout).toMatch(/^loaded middle into seeded-main-\w+ in \d+ ms \(sha256:/);
    expect(await items()).toEqual(["a", "b", "c", "from-http"]);
    const listed = await run("scenario", env.id);
    expect(listed.stdout).toMatch(/\* middle\s+3 steps {2}The base items/);
    const failed = await run("scenario", env.id, "broken");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("  | failing output");
    expect(failed.stderr).toContain("exited with code 4");
  });
});
