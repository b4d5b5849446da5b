/**
 * The README's first command as coding agents and CI runners run it: as root, from a clone in a
 * folder only root may enter (`mktemp -d` is 0700), with the default data dir in a home that is
 * 0700 too (like /root). Postgres runs as the `postgres` OS user there, which enters neither.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rootHome } from "../provisioner/runtimes/process/postgres-home.ts";
import { getViaProxy } from "./helpers/previewd-harness.ts";
import { labelledProcesses, ownerIdOf } from "./helpers/processes.ts";
import { startDemo } from "./helpers/demo-process.ts";
import { freePort, repoRoot } from "./helpers/serve-process.ts";

const root = process.getuid?.() === 0;
if (!root && process.env.PREVIEWD_REQUIRE_ALL === "1")
  throw new Error("test/demo-as-root.test.ts must run as root (PREVIEWD_REQUIRE_ALL=1)");

const folder = mkdtempSync(path.join(os.tmpdir(), "previewd-root-demo-")); // 0700
const home = mkdtempSync(path.join(os.tmpdir(), "previewd-root-home-")); // 0700
const clone = path.join(folder, "previewd");
const dataDir = path.join(home, ".previewd"); // the default: ~/.previewd
const owner = ownerIdOf(dataDir);

afterAll(async () => {
  for (const pid of labelledProcesses({ owner })) process.kill(pid, "SIGKILL");
  await rm(folder, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
  await rm(path.join(rootHome, owner), { recursive: true, force: true }); // only if the test failed
});

describe.skipIf(!root)("npm run demo as root, from a clone in a 0700 folder, with HOME 0700", () => {
  it(
    "provisions examples/shop, prints URLs that answer, and cleans up on Ctrl-C",
    { timeout: 900_000 },
    async () => {
      // This repository's committed HEAD, as `git clone` gives it to a user.
      execFileSync("git", ["clone", "-q", repoRoot, clone], { stdio: "ignore" });
      // An install shortcut: the files `npm ci` would put there, hard-linked from this checkout
      // (same lockfile) instead of downloaded; they now sit below the 0700 folder, as after `npm ci`.
      const modules = [path.join(repoRoot, "node_modules"), path.join(clone, "node_modules")] as const;
      try {
        execFileSync("cp", ["-al", ...modules], { stdio: "ignore" });
      } catch {
        // Hard links need one file system; a copy is the same files.
        rmSync(modules[1], { recursive: true, force: true });
        execFileSync("cp", ["-a", ...modules]);
      }
      // A fresh login shell's environment: none of this run's npm or previewd settings.
      const env: Record<string, string | undefined> = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !/^(npm_|PREVIEWD_)/i.test(name)),
      );
      Object.assign(env, { HOME: home, PREVIEWD_PORT: String(await freePort()) });
      // What `npm ci` runs after installing (the `prepare` script builds the CLI).
      try {
        execFileSync("npm", ["run", "prepare", "--if-present"], { cwd: clone, env, encoding: "utf8" });
      } catch (error) {
        const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
        throw new Error(`npm run prepare failed in a clone of HEAD:\n${stdout}${stderr}`, { cause: error });
      }

      const demo = await startDemo(clone, env);
      try {
        const { urls } = demo;
        expect(Object.keys(urls).sort()).toEqual(["admin", "api", "web"]);
        const origin = `http://127.0.0.1:${env.PREVIEWD_PORT}`;
        const web = await getViaProxy(origin, new URL(urls.web!).host);
        expect(web.status).toBe(200);
        expect(web.body).toContain('id="banner"');
        // The api answers from its database, which runs as the postgres user.
        const api = await getViaProxy(origin, new URL(urls.api!).host, "/healthz");
        expect(api.status).toBe(200);
        expect(existsSync(path.join(rootHome, owner, "environments"))).toBe(true);
        expect(demo.stderr()).toMatch(/install/);
      } finally {
        await demo.stop();
      }
      expect(labelledProcesses({ owner })).toEqual([]);
      // The environment's clusters and worktree went with it (the package managers' shared stores
      // stay, a cache for the next run like the data dir's); nobody loosened the user's folders.
      const left = existsSync(path.join(rootHome, owner)) ? readdirSync(path.join(rootHome, owner)) : [];
      expect(left.filter((entry) => entry !== "stores")).toEqual([]);
      for (const dir of [folder, home]) expect(statSync(dir).mode & 0o777).toBe(0o700);
    },
  );
});
