/**
 * The docker runtime's release step and build variables on a real engine: the release runs in a
 * one-shot container of the app's image on the environment's network after Postgres is up and
 * before the app's container starts, then goes; `build_env` and the top-level env reach the
 * Dockerfile as build args; an env-only change replaces the container without building; a
 * failing release fails the environment with its output and leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentEvent, EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import { docker, labelledObjects, skipDocker } from "./helpers/docker-engine.ts";
import { fixtureBaseImage } from "./helpers/docker-fixture.ts";
import { startDockerHarness, type DockerHarness } from "./helpers/docker-harness.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { vendorModules } from "./helpers/vendored-modules.ts";

const manifest = (options: { greeting?: string; baked?: string; release?: string } = {}) => `version: 1
name: dockrel
env:
  SHARED_FLAG: "on"
services:
  db: { type: postgres, database: app }
apps:
  api:
    path: apps/api
    health: /healthz
    build_env:
      BAKED: ${options.baked ?? "one"}
    release: ${options.release ?? "node migrate.js"}
    env:
      DATABASE_URL: \${services.db.url}
      GREETING: ${options.greeting ?? "hello"}
    depends_on: [db]
    docker: { dockerfile: apps/api/Dockerfile, context: ., port: 8080 }
`;

const dockerfile = `FROM ${fixtureBaseImage}
WORKDIR /app
COPY node_modules/ ./node_modules/
COPY apps/api/ ./
ARG BAKED
ARG SHARED_FLAG
RUN node -e "require('fs').writeFileSync('build.json', JSON.stringify({ baked: process.env.BAKED, shared: process.env.SHARED_FLAG, stamp: Math.random() }))"
USER node
CMD ["node", "server.js"]
`;

const files = {
  ".dockerignore": ".git\n",
  "apps/api/Dockerfile": dockerfile,
  "apps/api/migrate.js": `const pg = require("pg");
(async () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query("create table if not exists releases (greeting text, at timestamptz default now())");
  await client.query("insert into releases (greeting) values ($1)", [process.env.GREETING]);
  await client.end();
  console.log("migrated for " + process.env.GREETING);
})().catch((error) => { console.error(error.message); process.exit(1); });
`,
  "apps/api/broken-migrate.js": `console.log("checking schema"); console.error("migration 42 broke"); process.exit(3);\n`,
  "apps/api/server.js": `const http = require("node:http");
const pg = require("pg");
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const built = require("fs").readFileSync(__dirname + "/build.json", "utf8");
// Without its release the table is missing: the app refuses to start.
pool.query("select greeting from releases").then(() => {
  http.createServer(async (req, res) => {
    if (req.url === "/healthz") return res.end("ok");
    if (req.url === "/built") return res.end(built);
    if (req.url === "/releases") {
      const { rows } = await pool.query("select greeting from releases order by at");
      return res.end(JSON.stringify(rows.map((r) => r.greeting)));
    }
    res.writeHead(404).end();
  }).listen(Number(process.env.PORT), "0.0.0.0");
}, (error) => { console.error("no releases table: " + error.message); process.exit(1); });
`,
};

describe.skipIf(skipDocker)("release steps and build args on the docker runtime", () => {
  let harness: DockerHarness;
  let repo: GitFixture;
  let env: EnvironmentView;

  beforeAll(async () => {
    harness = await startDockerHarness();
    await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
    // A version no earlier run built, so the content-hash cache cannot already hold its image.
    repo = await createGitRepo({ "preview.yaml": manifest(), ...files, "apps/api/run.txt": `${Date.now()}` });
    vendorModules(repo.dir, ["pg"]);
    await repo.git("add", "-f", "node_modules");
    await repo.git("commit", "-qm", "vendor pg");
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await repo?.remove();
  });

  const events = () => harness.previewd.orchestrator.events(env.id);
  const at = (list: EnvironmentEvent[], step: string, status: string, app: string) =>
    list.findIndex((e) => e.step === step && e.status === status && e.app === app);
  const get = async (path: string) => (await fetch(`${env.apps.api!.directUrl}${path}`)).text();
  /** The environment's containers of `role`, found by their labels (names change on zero-downtime updates). */
  const containers = async (role: string, name?: string) =>
    docker.listContainers({
      all: role !== "app", // An app's running container; any release container, even one that exited.
      filters: {
        label: [
          `dev.previewd.env=${env.id}`,
          `dev.previewd.role=${role}`,
          ...(name ? [`dev.previewd.name=${name}`] : []),
        ],
      },
    });
  const containerOf = async () => (await containers("app", "api")).map((c) => c.Id);
  const redeploy = async () => {
    const reply = await harness.request<EnvironmentView>(
      "POST",
      `/v1/environments/${env.id}/redeploy?wait=true&timeout=200`,
    );
    expect(reply.body.error, JSON.stringify(reply.body.error)).toBeNull();
    env = reply.body;
    return reply.body;
  };

  it(
    "runs the release in a one-shot container after the database and before the app, with the build args baked",
    { timeout: 240_000 },
    async () => {
      const created = await harness.create({ repo: repo.dir, ref: "main", runtime: "docker" }, 200);
      env = created.body;
      expect(env.status, JSON.stringify(env.error)).toBe("ready");
      const list = events();
      expect(at(list, "services", "succeeded", "db")).toBeLessThan(at(list, "release", "started", "api"));
      expect(at(list, "build", "succeeded", "api")).toBeLessThan(at(list, "release", "started", "api"));
      expect(at(list, "release", "succeeded", "api")).toBeLessThan(at(list, "start", "started", "api"));
      expect(JSON.parse(await get("/releases"))).toEqual(["hello"]);
      expect(JSON.parse(await get("/built"))).toMatchObject({ baked: "one", shared: "on" });
      const logs = harness.previewd.logs.query(env.id, { apps: ["api"], grep: "migrated for hello" });
      expect(logs).toHaveLength(1);
      // The release container is gone; the app's and the database's stay.
      expect(await containers("release")).toEqual([]);
      expect(await containerOf()).toHaveLength(1);
      expect((await labelledObjects(harness.owner, env.id)).containers).toHaveLength(2);
    },
  );

  it(
    "replaces the container and releases again, without a build, when only env changed",
    { timeout: 240_000 },
    async () => {
      const before = await containerOf();
      const built = await get("/built");
      await repo.commit({ "preview.yaml": manifest({ greeting: "bonjour" }) }, "greet in French");
      const updated = await redeploy();
      expect(updated.timings.build).toBe(0);
      expect(events().filter((e) => e.step === "build" && e.status === "started")).toEqual([]);
      expect(at(events(), "release", "succeeded", "api")).toBeGreaterThanOrEqual(0);
      const after = await containerOf();
      expect(after).toHaveLength(1);
      expect(after).not.toEqual(before);
      expect(await get("/built")).toBe(built);
      expect(JSON.parse(await get("/releases"))).toEqual(["hello", "bonjour"]);
    },
  );

  it(
    "builds a new image when build_env changed, with the new value baked in",
    { timeout: 240_000 },
    async () => {
      await repo.commit({ "preview.yaml": manifest({ greeting: "bonjour", baked: "two" }) }, "bake two");
      const updated = await redeploy();
      expect(at(events(), "build", "succeeded", "api")).toBeGreaterThanOrEqual(0);
      expect(updated.timings.build).toBeGreaterThan(0);
      expect(JSON.parse(await get("/built"))).toMatchObject({ baked: "two", shared: "on" });
    },
  );

  it(
    "fails the environment with the release's output when it exits non-zero, and leaves nothing behind",
    { timeout: 240_000 },
    async () => {
      await repo.commit(
        { "preview.yaml": manifest({ release: "node broken-migrate.js" }) },
        "broken",
        "broken",
      );
      const created = await harness.create({ repo: repo.dir, ref: "broken", runtime: "docker" }, 200);
      expect(created.body.status).toBe("failed");
      expect(created.body.error).toMatchObject({ step: "release", app: "api" });
      expect(created.body.error?.message).toContain("exited with code 3");
      expect(created.body.error?.logTail).toEqual(
        expect.arrayContaining(["checking schema", "migration 42 broke"]),
      );
      expect(await labelledObjects(harness.owner, created.body.id)).toEqual({
        containers: [],
        networks: [],
        volumes: [],
      });
    },
  );
});
