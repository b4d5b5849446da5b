/**
 * A branch's build with no exact shared copy starts from a copy of the nearest build of the same
 * app, so an incremental tool redoes only what changed; and what changed is always rebuilt. The
 * fixture's build is a small incremental tool (like `tsc -b` with its .tsbuildinfo): it keeps the
 * hashes of its inputs in `dist/.state.json`, emits only the sources whose hash changed (all of
 * them when the shared package it bakes in changed), says what it emitted, and like tsc never
 * removes the output of a deleted source.
 */
import { readFileSync, statSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

const buildTool = `import fs from "node:fs";
import { createHash } from "node:crypto";
const hash = (file) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const lib = "../../packages/lib/lib.txt";
fs.mkdirSync("dist", { recursive: true });
const state = fs.existsSync("dist/.state.json") ? JSON.parse(fs.readFileSync("dist/.state.json", "utf8")) : {};
const next = { [lib]: hash(lib) };
const emitted = [];
for (const name of fs.readdirSync("src").sort()) {
  const file = "src/" + name;
  next[file] = hash(file);
  if (state[file] === next[file] && state[lib] === next[lib]) continue;
  fs.writeFileSync("dist/" + name, fs.readFileSync(file, "utf8") + " + " + fs.readFileSync(lib, "utf8"));
  emitted.push(name);
}
fs.writeFileSync("dist/.state.json", JSON.stringify(next));
console.log("emitted: " + (emitted.join(",") || "nothing"));
`;

const server = `import http from "node:http";
http.createServer((req, res) => res.end("ok")).listen(Number(process.env.PORT), "127.0.0.1");
`;

const manifest = `version: 1
name: seeds
apps:
  web:
    path: apps/web
    build: node build.mjs
    start: node server.js
    health: /healthz
`;

let harness: Harness;
let repo: FixtureRepo;

const worktreeOf = (env: EnvironmentView) => harness.previewd.orchestrator.record(env.id).worktreePath!;
const output = (env: EnvironmentView, name: string) =>
  readFileSync(path.join(worktreeOf(env), "apps/web/dist", name), "utf8");
const emitted = (env: EnvironmentView) =>
  harness.previewd.logs
    .query(env.id, { grep: "emitted: " })
    .map((entry) => entry.line.replace(/^.*emitted: /, ""));
const seeded = (env: EnvironmentView) =>
  harness.previewd.orchestrator
    .events(env.id)
    .filter((e) => e.step === "build" && e.message.startsWith("seeded"))
    .map((e) => e.message);

/** A branch from main with `files` changed (null: deleted), provisioned. */
async function branch(name: string, files: Record<string, string | null>): Promise<EnvironmentView> {
  repo.checkout(name, true);
  for (const [file, content] of Object.entries(files)) if (content === null) repo.git("rm", "-q", file);
  const written = Object.fromEntries(Object.entries(files).filter(([, c]) => c !== null)) as Record<
    string,
    string
  >;
  if (Object.keys(written).length > 0) repo.commit(written, name);
  else repo.git("commit", "-qm", name);
  repo.checkout("main");
  const env = (await harness.create({ repo: repo.dir, ref: name })).body;
  expect(env.status, JSON.stringify(env.error)).toBe("ready");
  return env;
}

beforeAll(async () => {
  repo = createFixtureRepo({
    files: {
      "preview.yaml": manifest,
      ".gitignore": "dist/\n",
      "packages/lib/lib.txt": "lib v1",
      "apps/web/build.mjs": buildTool,
      "apps/web/server.js": server,
      "apps/web/src/a.txt": "a v1",
      "apps/web/src/b.txt": "b v1",
    },
  });
  harness = await startHarness();
});
afterAll(async () => harness?.close());

describe("builds seeded from the nearest shared build of the same app", () => {
  let main: EnvironmentView;

  it("a branch that changes one source builds that source alone, on a copy of main's build", async () => {
    main = (await harness.create({ repo: repo.dir, ref: "main" })).body;
    expect(main.status, JSON.stringify(main.error)).toBe("ready");
    expect(emitted(main)).toEqual(["a.txt,b.txt"]);

    const changed = await branch("change-a", { "apps/web/src/a.txt": "a v2" });
    expect(seeded(changed)).toEqual([expect.stringContaining("(1 file(s) differ)")]);
    expect(emitted(changed)).toEqual(["a.txt"]);
    expect(output(changed, "a.txt")).toBe("a v2 + lib v1");
    expect(output(changed, "b.txt")).toBe("b v1 + lib v1");

    // A copy, not a link: what this environment's build writes, main never sees.
    const mine = path.join(worktreeOf(changed), "apps/web/dist/b.txt");
    const theirs = path.join(worktreeOf(main), "apps/web/dist/b.txt");
    expect(statSync(mine).ino).not.toBe(statSync(theirs).ino);
    writeFileSync(mine, "written by change-a");
    expect(output(main, "b.txt")).toBe("b v1 + lib v1");
  });

  it("a change to a package the app depends on alone rebuilds the app", async () => {
    const changed = await branch("change-lib", { "packages/lib/lib.txt": "lib v2" });
    expect(seeded(changed)).toHaveLength(1);
    expect(emitted(changed)).toEqual(["a.txt,b.txt"]);
    expect(output(changed, "a.txt")).toBe("a v1 + lib v2");
    expect(output(changed, "b.txt")).toBe("b v1 + lib v2");
  });

  it("a deleted source leaves no output behind: a build that had it never seeds", async () => {
    const changed = await branch("delete-b", { "apps/web/src/b.txt": null });
    expect(seeded(changed)).toEqual([]);
    expect(emitted(changed)).toEqual(["a.txt"]);
    expect(existsSync(path.join(worktreeOf(changed), "apps/web/dist/b.txt"))).toBe(false);
    expect(output(changed, "a.txt")).toBe("a v1 + lib v1");
  });
});
