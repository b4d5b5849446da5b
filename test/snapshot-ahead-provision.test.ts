/**
 * A new environment takes its database's snapshot while an app that does not use the database
 * still builds (snapshot-ahead.ts), and keeps it only if nothing wrote to the database since: an
 * app that writes through another one as it boots has its row in the snapshot all the same, and
 * every scenario load gives the data right after the environment's migrations and starts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { seededApi, seededManifest, seededScenarios } from "./helpers/seeded-fixture.ts";

// The seed scenario suites' api on Postgres, and a web that does not use the database.
const manifest = seededManifest.replace(
  "flags:\n",
  `  web:
    path: apps/web
    build: node build.mjs
    start: node server.js
    health: /healthz
    env:
      API_URL: \${apps.api.internalUrl}
    depends_on: [api]
flags:
`,
);

// Long enough that the api is up (and the snapshot taken) well before web starts, also when the
// suite's other files load both cores: 1.5 s was not, once in the full CI (the api up after web's build).
const webBuild = `await new Promise((resolve) => setTimeout(resolve, 4000));\n`;
const webServer = (bootWrite: boolean) => `import http from "node:http";
${
  bootWrite
    ? `// Registers itself through the api as it boots: a write to the database from an app that does not name it.
const registered = await fetch(process.env.API_URL + "/items", { method: "POST", body: JSON.stringify({ name: "registered by web" }) });
if (registered.status !== 201) throw new Error("not registered: " + registered.status);`
    : ""
}
http.createServer((req, res) => res.end("ok")).listen(Number(process.env.PORT), "127.0.0.1");
`;

let harness: Harness;
let repo: FixtureRepo;

beforeAll(async () => {
  repo = createFixtureRepo({
    files: {
      "preview.yaml": manifest,
      "apps/api/server.js": seededApi,
      "apps/web/build.mjs": webBuild,
      "apps/web/server.js": webServer(false),
      ...seededScenarios,
    },
  });
  repo.checkout("registers", true);
  repo.commit({ "apps/web/server.js": webServer(true) }, "web registers itself as it boots");
  repo.checkout("main");
  // A build that may ask the api (prerendering, say): the api's database is left alone while it runs.
  repo.checkout("build-asks-api", true);
  const asking = manifest.replace(
    "    build: node build.mjs\n",
    "    build: node build.mjs\n    build_env:\n      API: ${apps.api.url}\n",
  );
  repo.commit({ "preview.yaml": asking }, "web's build names the api");
  repo.checkout("main");
  // Nothing to build beside: the snapshot is taken at the end, as without.
  repo.checkout("no-build", true);
  repo.commit({ "preview.yaml": manifest.replace("    build: node build.mjs\n", "") }, "web has no build");
  repo.checkout("main");
  harness = await startHarness();
});
afterAll(async () => harness?.close());

const seedMessages = (env: EnvironmentView) =>
  harness.previewd.orchestrator
    .events(env.id)
    .filter((e) => e.step === "seed" && e.status === "info")
    .map((e) => e.message);
const items = async (env: EnvironmentView) =>
  (await (
    await fetch(`${harness.previewd.orchestrator.get(env.id).apps.api!.directUrl}/items`)
  ).json()) as string[];
const load = async (env: EnvironmentView, name: string) => {
  const reply = await harness.request("POST", `/v1/environments/${env.id}/scenario`, { name });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
};

describe("a snapshot taken while another app builds", () => {
  it("stands when nothing wrote to the database since, and is what each load starts from", async () => {
    const created = await harness.create({ repo: repo.dir, ref: "main" });
    const env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    expect(seedMessages(env)).toEqual([
      "snapshotting db ahead: every app that uses it is up",
      "the snapshot of db taken ahead stands: nothing wrote to it since",
    ]);
    expect(await items(env)).toEqual(["a", "b"]);
    await load(env, "empty");
    expect(await items(env)).toEqual([]);
    await load(env, "base");
    expect(await items(env)).toEqual(["a", "b"]);
  });

  it("is taken again when an app wrote to the database through another one as it booted", async () => {
    const created = await harness.create({ repo: repo.dir, ref: "registers" });
    const env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    expect(seedMessages(env)).toEqual([
      "snapshotting db ahead: every app that uses it is up",
      "the snapshot of db taken ahead is taken again: a transaction ran in its Postgres since",
    ]);
    expect(await items(env)).toEqual(["registered by web", "a", "b"]);
    await load(env, "empty");
    expect(await items(env)).toEqual(["registered by web"]);
  });

  it.each([
    ["while a build that names an app runs", "build-asks-api"],
    ["when nothing builds beside", "no-build"],
  ])("is not taken ahead %s", async (_, ref) => {
    const created = await harness.create({ repo: repo.dir, ref });
    const env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    expect(seedMessages(env)).toEqual([]);
    await load(env, "empty");
    await load(env, "base");
    expect(await items(env)).toEqual(["a", "b"]);
  });
});
