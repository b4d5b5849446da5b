/**
 * SPEC "HTTP API": no app, build or service process can read previewd's token, not in its
 * environment nor in any ancestor's, nor in files. As root, previewd runs everything an
 * environment runs as an unprivileged user (child-identity.ts). Here a repo's install, build,
 * app and scenario `command` step each run a script that hunts for the token everywhere it can
 * look, and the environment's browser tries to open the token file.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { chromiumMissing } from "./helpers/chromium.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { temporaryDataDir } from "./helpers/previewd-harness.ts";
import { exited, freePort, spawnServe } from "./helpers/serve-process.ts";

const root = process.getuid?.() === 0;
if (!root && process.env.PREVIEWD_REQUIRE_ALL === "1")
  throw new Error("test/token-out-of-reach.test.ts must run as root (PREVIEWD_REQUIRE_ALL=1)");

/** What one hunt saw: every source it tried, with what it read or why it could not. */
interface Hunt {
  stage: string;
  uid: number;
  ownEnviron: string;
  ancestors: number[];
  read: Record<string, string>;
  refused: Record<string, string>;
}

/**
 * The hunter: its own environment, every `/proc/<pid>/environ` and `cmdline` (its ancestors by
 * the ppid chain in `/proc/<pid>/stat` first), the token file and everything in the data dir.
 */
function hunter(tokenFile: string, dataDir: string): string {
  return `import fs from "node:fs";
import path from "node:path";
const here = path.dirname(new URL(import.meta.url).pathname);
const read = {};
const refused = {};
const attempt = (name, file) => {
  try { read[name] = fs.readFileSync(file, "latin1").slice(0, 65536); }
  catch (error) { refused[name] = error.code ?? String(error); }
};
export function hunt(stage) {
  const ancestors = [];
  for (let pid = process.pid; pid > 1; ) {
    const stat = fs.readFileSync("/proc/" + pid + "/stat", "utf8");
    pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (pid > 0) ancestors.push(pid);
  }
  for (const pid of ancestors) {
    attempt("ancestor " + pid + " environ", "/proc/" + pid + "/environ");
    attempt("ancestor " + pid + " cmdline", "/proc/" + pid + "/cmdline");
  }
  for (const pid of fs.readdirSync("/proc").filter((name) => /^\\d+$/.test(name))) {
    attempt(pid + " environ", "/proc/" + pid + "/environ");
    attempt(pid + " cmdline", "/proc/" + pid + "/cmdline");
  }
  attempt("token file", ${JSON.stringify(tokenFile)});
  const walk = (dir) => {
    let names;
    try { names = fs.readdirSync(dir); } catch (error) { refused["dir " + dir] = error.code; return; }
    for (const name of names) {
      const file = path.join(dir, name);
      if (fs.lstatSync(file).isDirectory()) walk(file); else attempt("file " + file, file);
    }
  };
  walk(${JSON.stringify(dataDir)});
  return {
    stage,
    uid: process.getuid(),
    ownEnviron: fs.readFileSync("/proc/self/environ", "latin1") + JSON.stringify(process.env),
    ancestors,
    read,
    refused,
  };
}
if (process.argv[2]) {
  fs.mkdirSync(path.join(here, "hunts"), { recursive: true });
  fs.writeFileSync(path.join(here, "hunts", process.argv[2] + ".json"), JSON.stringify(hunt(process.argv[2])));
}
`;
}

const server = `import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { hunt } from "../../hunt.mjs";
const hunts = path.resolve("../../hunts");
http.createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  const found = fs.readdirSync(hunts).map((name) => JSON.parse(fs.readFileSync(path.join(hunts, name), "utf8")));
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify([...found, hunt("app")]));
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

const manifest = `version: 1
name: hunt
install: node hunt.mjs install
apps:
  web:
    path: apps/web
    build: node ../../hunt.mjs build
    start: node server.mjs
    health: /healthz
seed:
  default: hunt
`;

const scenario = `description: Hunts for the token from a command step
steps:
  - command: { app: web, run: node ../../hunt.mjs scenario }
`;

describe.skipIf(!root)("the token is out of reach of everything previewd starts (as root)", () => {
  const token = `tok-${randomBytes(16).toString("hex")}`;
  const secrets = mkdtempSync(path.join(os.tmpdir(), "previewd-secret-"));
  const tokenFile = path.join(secrets, "token");
  const cleanups: (() => Promise<void> | void)[] = [];
  const auth = { authorization: `Bearer ${token}` };

  async function start(env: Record<string, string>): Promise<{ port: number; dataDir: string }> {
    const dataDir = temporaryDataDir();
    const port = await freePort();
    const child: ChildProcess = await spawnServe(dataDir, port, env);
    cleanups.push(async () => {
      child.kill("SIGTERM");
      await exited(child);
      rmSync(dataDir, { recursive: true, force: true });
    });
    return { port, dataDir };
  }

  async function request<T>(port: number, method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`http://127.0.0.1:${port}${route}`, {
      method,
      headers: { ...auth, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  async function readyEnvironment(port: number, repo: GitFixture): Promise<EnvironmentView> {
    const created = await request<EnvironmentView>(port, "POST", "/v1/environments", {
      repo: repo.dir,
      ref: "main",
    });
    // Deleted before its previewd stops (cleanups run last first): nothing it started is left.
    cleanups.push(async () => {
      await request(port, "DELETE", `/v1/environments/${created.id}`);
      for (let i = 0; i < 600; i++) {
        const gone = await fetch(`http://127.0.0.1:${port}/v1/environments/${created.id}`, { headers: auth });
        if (gone.status === 404) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    let env = created;
    for (let i = 0; env.status !== "ready" && env.status !== "failed" && i < 600; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      env = await request<EnvironmentView>(port, "GET", `/v1/environments/${created.id}`);
    }
    expect(env.status, JSON.stringify(env.error ?? env)).toBe("ready");
    return env;
  }

  async function hunts(port: number, repo: GitFixture): Promise<{ env: EnvironmentView; found: Hunt[] }> {
    const env = await readyEnvironment(port, repo);
    const response = await fetch(`${env.apps.web!.directUrl!}/hunt`);
    expect(response.status).toBe(200);
    return { env, found: (await response.json()) as Hunt[] };
  }

  function expectNothingFound(found: Hunt[]): void {
    expect(found.map((h) => h.stage).sort()).toEqual(["app", "build", "install", "scenario"]);
    for (const hunt of found) {
      // The hunt ran: it read its own environment, which carries previewd's labels.
      expect(hunt.ownEnviron, hunt.stage).toContain("PREVIEWD_ENV_ID=");
      expect(hunt.uid, hunt.stage).not.toBe(0);
      expect(hunt.ancestors.length, hunt.stage).toBeGreaterThan(0);
      expect(Object.keys(hunt.read).length, hunt.stage).toBeGreaterThan(0);
      expect(hunt.refused["token file"], hunt.stage).toBe("EACCES");
      // Nothing it read holds the token, its own environment included.
      expect(JSON.stringify(hunt), hunt.stage).not.toContain(token);
    }
  }

  let repo: GitFixture;
  beforeAll(async () => {
    writeFileSync(tokenFile, `${token}\n`);
    repo = await createGitRepo({
      "preview.yaml": manifest,
      "hunt.mjs": "", // Written below, once the data dirs are known.
      "apps/web/server.mjs": server,
      "seed-scenarios/hunt.yaml": scenario,
    });
    cleanups.push(() => repo.remove());
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(secrets, { recursive: true, force: true });
  });

  it("with PREVIEWD_TOKEN_FILE: install, build, app and scenario step find it nowhere; nor does the browser", async () => {
    const { port, dataDir } = await start({ PREVIEWD_TOKEN_FILE: tokenFile });
    await repo.commit({ "hunt.mjs": hunter(tokenFile, dataDir) }, "hunter");
    const { env, found } = await hunts(port, repo);
    expectNothingFound(found);
    // previewd itself was among the ancestors it could not read.
    const app = found.find((h) => h.stage === "app")!;
    expect(Object.keys(app.refused).some((k) => /^ancestor \d+ environ$/.test(k))).toBe(true);

    if (chromiumMissing) return;
    const browser = await chromium.connectOverCDP(`${env.devtools!.http}?token=${token}`);
    try {
      const page = await browser.contexts()[0]!.newPage();
      const loaded = await page.goto(`file://${tokenFile}`).then(
        async () => page.content(),
        (error: unknown) => String(error),
      );
      expect(loaded).not.toContain(token);
    } finally {
      await browser.close();
    }
  });

  it("with PREVIEWD_TOKEN in previewd's environment: still out of every hunt's reach", async () => {
    const { port, dataDir } = await start({ PREVIEWD_TOKEN: token });
    await repo.commit({ "hunt.mjs": hunter(tokenFile, dataDir) }, "hunter for this previewd");
    const { found } = await hunts(port, repo);
    expectNothingFound(found);
  });
});
