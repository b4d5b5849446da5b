import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { getViaProxy, temporaryDataDir } from "./helpers/previewd-harness.ts";
import { labelledProcesses, ownerIdOf } from "./helpers/processes.ts";
import { exited, freePort, repoRoot } from "./helpers/serve-process.ts";

const dataDir = temporaryDataDir();
afterAll(async () => {
  for (const pid of labelledProcesses({ owner: ownerIdOf(dataDir) })) process.kill(pid, "SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

describe("npm run demo", () => {
  it("provisions examples/shop, prints its URLs, and cleans up on Ctrl-C", { timeout: 600_000 }, async () => {
    const port = await freePort();
    // Its own process group, like a terminal's foreground job, so Ctrl-C (SIGINT) reaches npm and node.
    const demo = spawn("npm", ["run", "demo"], {
      cwd: repoRoot,
      detached: true,
      env: { ...process.env, PREVIEWD_DATA_DIR: dataDir, PREVIEWD_PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    demo.stdout.on("data", (chunk) => (stdout += chunk));
    demo.stderr.on("data", (chunk) => (stderr += chunk));
    try {
      await new Promise<void>((resolve, reject) => {
        const check = setInterval(() => {
          if (stdout.includes("Press Ctrl-C")) resolve();
          else if (demo.exitCode !== null) reject(new Error(`demo exited early:\n${stdout}\n${stderr}`));
          else return;
          clearInterval(check);
        }, 200);
      });
      const urls = Object.fromEntries(
        [...stdout.matchAll(/^\s+(\w+)\s+(http:\/\/\S+)/gm)].map((m) => [m[1], m[2]] as const),
      );
      expect(Object.keys(urls).sort()).toEqual(["admin", "api", "web"]);
      const web = await getViaProxy(`http://127.0.0.1:${port}`, new URL(urls.web!).host);
      expect(web.status).toBe(200);
      expect(web.body).toContain('id="banner"');
      const api = await getViaProxy(`http://127.0.0.1:${port}`, new URL(urls.api!).host, "/healthz");
      expect(api.status).toBe(200);
      expect(stderr).toMatch(/install/);
    } finally {
      process.kill(-demo.pid!, "SIGINT");
      await exited(demo);
    }
    expect(labelledProcesses({ owner: ownerIdOf(dataDir) })).toEqual([]);
  });
});
