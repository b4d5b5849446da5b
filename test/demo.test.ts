import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { getViaProxy, temporaryDataDir } from "./helpers/previewd-harness.ts";
import { labelledProcesses, ownerIdOf } from "./helpers/processes.ts";
import { startDemo } from "./helpers/demo-process.ts";
import { freePort, repoRoot } from "./helpers/serve-process.ts";

const dataDir = temporaryDataDir();
afterAll(async () => {
  for (const pid of labelledProcesses({ owner: ownerIdOf(dataDir) })) process.kill(pid, "SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

// As root, test/demo-as-root.test.ts runs the same demo from a clone in a 0700 folder and checks
// all of this too; running both would start examples/shop twice for one story.
const root = process.getuid?.() === 0;

describe.skipIf(root)("npm run demo", () => {
  it("provisions examples/shop, prints its URLs, and cleans up on Ctrl-C", { timeout: 600_000 }, async () => {
    const port = await freePort();
    const demo = await startDemo(repoRoot, {
      ...process.env,
      PREVIEWD_DATA_DIR: dataDir,
      PREVIEWD_PORT: String(port),
    });
    try {
      const { urls } = demo;
      expect(Object.keys(urls).sort()).toEqual(["admin", "api", "web"]);
      const web = await getViaProxy(`http://127.0.0.1:${port}`, new URL(urls.web!).host);
      expect(web.status).toBe(200);
      expect(web.body).toContain('id="banner"');
      const api = await getViaProxy(`http://127.0.0.1:${port}`, new URL(urls.api!).host, "/healthz");
      expect(api.status).toBe(200);
      expect(demo.stderr()).toMatch(/install/);
    } finally {
      await demo.stop();
    }
    expect(labelledProcesses({ owner: ownerIdOf(dataDir) })).toEqual([]);
  });
});
