/**
 * A repository is untrusted (a PR from a fork): a symlink it commits must not lead previewd to
 * host files. An app path, a Dockerfile or a scenario's SQL file linking out of the monorepo is
 * refused with a 422 naming the field, before anything exists or runs; links that stay inside
 * (a shared package, a fixtures folder) keep working.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { postgresApi } from "./helpers/fixture-monorepo.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { getViaProxy, startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { labelledProcesses, ownerIdOf } from "./helpers/processes.ts";
import { vendorModules } from "./helpers/vendored-modules.ts";

interface Problem {
  status: number;
  detail: string;
  errors: Array<{ path: string; message: string }>;
}

// What a host file holds: SQL that would run, and a marker to look for in the data and the logs.
const marker = `host-secret-${process.pid}`;
let host: string;
let repo: GitFixture;
let harness: Harness;
let worktree: string;

const manifest = (api: string) => `version: 1
name: links
services:
  db: { type: postgres }
apps:
  api: { ${api}, start: node server.js, health: /healthz, env: { DATABASE_URL: "\${services.db.url}" }, depends_on: [db] }
`;

const apiServer = postgresApi(
  `import { greeting } from "./shared/greeting.js";
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
// A scenario load resets the database, cutting idle connections off: survive that.
pool.on("error", (error) => console.error("idle client lost: " + error.message));
await pool.query("create table if not exists notes (id serial primary key, text text not null)");`,
  `    if (req.url === "/greeting") return send(200, { greeting });
    if (req.url === "/notes") return send(200, (await pool.query("select text from notes order by id")).rows.map((r) => r.text));`,
);

/** Commits `files` and `links` (path → target) on a new branch off main, and comes back to main. */
async function branch(name: string, files: Record<string, string>, links: Record<string, string>) {
  await repo.git("checkout", "-q", "-b", name, "main");
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(repo.dir, file), text);
  for (const [file, target] of Object.entries(links)) await symlink(target, path.join(repo.dir, file));
  await repo.git("add", "--", ...Object.keys(files), ...Object.keys(links));
  await repo.git("commit", "-q", "-m", name);
  await repo.git("checkout", "-q", "main");
}

beforeAll(async () => {
  host = await mkdtemp(path.join(os.tmpdir(), "previewd-host-"));
  await writeFile(path.join(host, "secret.sql"), `insert into notes (text) values ('${marker}');\n`);
  await writeFile(path.join(host, "Dockerfile"), `FROM scratch\nLABEL secret=${marker}\n`);
  repo = await createGitRepo({
    "package.json": JSON.stringify({ type: "module" }),
    "preview.yaml": manifest("path: apps/api"),
    "apps/api/server.js": apiServer,
    "packages/shared/greeting.js": 'export const greeting = "hello from a linked package";\n',
    "packages/fixtures/notes.sql": "insert into notes (text) values ('from a linked fixture');\n",
    "seed-scenarios/linked.yaml":
      "description: SQL from a linked folder\nsteps:\n  - sql: { service: db, file: fixtures/notes.sql }\n",
    "seed-scenarios/leak.yaml":
      "description: SQL from a host file\nsteps:\n  - sql: { service: db, file: leak.sql }\n",
  });
  // Links that stay inside the monorepo, and one scenario SQL file that leads to a host file.
  await symlink("../../packages/shared", path.join(repo.dir, "apps/api/shared"));
  await symlink("../packages/fixtures", path.join(repo.dir, "seed-scenarios/fixtures"));
  await symlink(path.join(host, "secret.sql"), path.join(repo.dir, "seed-scenarios/leak.sql"));
  vendorModules(repo.dir, ["pg"]);
  await repo.git("add", "-f", "node_modules");
  await repo.git("add", "--", "apps/api/shared", "seed-scenarios/fixtures", "seed-scenarios/leak.sql");
  await repo.git("commit", "-q", "-m", "links");

  await branch("app-path-link", { "preview.yaml": manifest("path: apps/host") }, { "apps/host": host });
  await branch(
    "dockerfile-link",
    { "preview.yaml": manifest("path: apps/api, docker: { dockerfile: apps/api/Dockerfile, port: 3000 }") },
    { "apps/api/Dockerfile": path.join(host, "Dockerfile") },
  );
  await branch(
    "escaping-link",
    { "preview.yaml": manifest("path: apps/up") },
    { "apps/up": "../../../../../../../../../../etc" },
  );
  worktree = path.join(await mkdtemp(path.join(os.tmpdir(), "previewd-caller-")), "wt");
  await repo.git("worktree", "add", "-q", worktree, "app-path-link");
  harness = await startHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await repo?.git("worktree", "remove", "--force", worktree).catch(() => undefined);
  await rm(path.dirname(worktree), { recursive: true, force: true });
  await repo?.remove();
  await rm(host, { recursive: true, force: true });
});

/** Nothing exists: no environment, worktree, environment data or process. */
function expectNothingCreated(): void {
  expect(harness.previewd.orchestrator.list()).toEqual([]);
  for (const folder of ["worktrees", "environments"]) {
    const full = path.join(harness.dataDir, folder);
    expect(existsSync(full) ? readdirSync(full) : []).toEqual([]);
  }
  expect(labelledProcesses({ owner: ownerIdOf(harness.dataDir) })).toEqual([]);
}

async function refusedCreate(body: Record<string, unknown>): Promise<Problem> {
  const reply = await harness.request<Problem>("POST", "/v1/environments", body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(422);
  expect(reply.headers.get("content-type")).toContain("application/problem+json");
  expectNothingCreated();
  return reply.body;
}

describe("links out of the monorepo are refused before anything exists", () => {
  it("refuses an app path that is a link to a host folder, naming apps.api.path", async () => {
    const problem = await refusedCreate({ repo: repo.dir, ref: "app-path-link" });
    expect(problem.errors).toEqual([
      {
        path: "apps.api.path",
        message: `resolves outside the monorepo (symlink apps/host -> ${host})`,
      },
    ]);
    expect(problem.detail).toBe(
      `preview.yaml: apps.api.path: resolves outside the monorepo (symlink apps/host -> ${host})`,
    );
  });

  it("refuses a relative link that climbs out of the repository", async () => {
    const problem = await refusedCreate({ repo: repo.dir, ref: "escaping-link" });
    expect(problem.errors).toEqual([
      { path: "apps.api.path", message: expect.stringMatching(/^resolves outside the monorepo \(/) },
    ]);
  });

  it("refuses the same link in a caller's worktree run in place", async () => {
    const problem = await refusedCreate({ repo: repo.dir, worktree });
    expect(problem.errors).toEqual([
      { path: "apps.api.path", message: `resolves outside the monorepo (apps/host -> ${host})` },
    ]);
  });

  it("refuses a Dockerfile that is a link to a host file, naming apps.api.docker.dockerfile", async () => {
    const problem = await refusedCreate({ repo: repo.dir, ref: "dockerfile-link" });
    expect(problem.errors).toEqual([
      {
        path: "apps.api.docker.dockerfile",
        message: `resolves outside the monorepo (symlink apps/api/Dockerfile -> ${path.join(host, "Dockerfile")})`,
      },
    ]);
    expect(JSON.stringify(problem)).not.toContain(marker);
  });

  it("refuses a requested scenario whose SQL file is a link to a host file, naming the step's field", async () => {
    const problem = await refusedCreate({ repo: repo.dir, scenario: "leak" });
    expect(problem.errors).toEqual([
      {
        path: "steps[0].sql.file",
        message: `resolves outside the monorepo (symlink seed-scenarios/leak.sql -> ${path.join(host, "secret.sql")})`,
      },
    ]);
    expect(problem.detail).toMatch(/^seed-scenarios\/leak\.yaml: steps\[0\]\.sql\.file: resolves outside/);
    expect(JSON.stringify(problem)).not.toContain(marker);
  });
});

describe("a running environment of a repository with links", () => {
  let env: EnvironmentView;

  beforeAll(async () => {
    const created = await harness.create({ repo: repo.dir });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
  }, 180_000);

  const api = async <T>(route: string): Promise<T> => {
    const response = await getViaProxy(harness.url, new URL(env.apps.api!.url).host, route);
    expect(response.status, response.body).toBe(200);
    return JSON.parse(response.body) as T;
  };

  it("runs an app that imports a package through a link that stays inside", async () => {
    expect(await api("/greeting")).toEqual({ greeting: "hello from a linked package" });
  });

  it("loads a scenario whose SQL file is reached through a linked folder", async () => {
    const loaded = await harness.request("POST", `/v1/environments/${env.id}/scenario`, { name: "linked" });
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);
    expect(await api("/notes")).toEqual(["from a linked fixture"]);
  });

  it("refuses to load the scenario whose SQL file leads to a host file; its content reaches neither the data nor the logs", async () => {
    const refused = await harness.request<Problem>("POST", `/v1/environments/${env.id}/scenario`, {
      name: "leak",
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      {
        path: "steps[0].sql.file",
        message: `resolves outside the monorepo (seed-scenarios/leak.sql -> ${path.join(host, "secret.sql")})`,
      },
    ]);
    // Refused before the reset: the data is what the last scenario left.
    expect(await api("/notes")).toEqual(["from a linked fixture"]);
    const logs = await harness.request<string>("GET", `/v1/environments/${env.id}/logs?tail=5000`);
    expect(logs.status).toBe(200);
    expect(String(logs.body)).not.toContain(marker);
    expect(JSON.stringify(refused.body)).not.toContain(marker);
  });
});
