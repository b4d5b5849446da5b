import { openSync, closeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { childEnvironment } from "./process-labels.ts";
import { spawnDetached, stopGroups } from "./process-group.ts";
import { groupAlive, isOurs, scanProcesses } from "./process-scan.ts";

describe("labelled process groups", () => {
  it("are found by their labels and stopped with their children, even if they ignore SIGTERM", async () => {
    const owner = `scan-${randomBytes(4).toString("hex")}`;
    const devnull = openSync("/dev/null", "w");
    const started = await spawnDetached({
      command: "sh",
      // A child that ignores SIGTERM: only the SIGKILL after the grace period stops it.
      args: ["-c", "trap '' TERM; sleep 60 & wait"],
      cwd: "/",
      env: childEnvironment(
        {},
        { owner, envId: "env-a", role: "app", name: "web" },
        { PATH: process.env.PATH, PREVIEWD_TOKEN: "secret" },
      ),
      stdout: devnull,
      stderr: devnull,
    });
    closeSync(devnull);
    try {
      // sh forks sleep in its own time.
      let found = await scanProcesses({ owner });
      for (let i = 0; i < 100 && found.length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        found = await scanProcesses({ owner });
      }
      expect(found.length).toBeGreaterThanOrEqual(2); // sh and sleep
      expect(found.every((p) => p.envId === "env-a" && p.name === "web" && p.pgid === started.pid)).toBe(
        true,
      );
      expect(await scanProcesses({ owner, envId: "env-b" })).toEqual([]);
      expect(await isOurs(started.pid, owner, "env-a", "web")).toBe(true);
      expect(await isOurs(started.pid, owner, "env-b")).toBe(false);
      expect(await isOurs(process.pid, owner, "env-a")).toBe(false);

      const t0 = Date.now();
      await stopGroups([{ pgid: started.pid, role: "app" }], 300);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
      expect(await groupAlive(started.pid)).toBe(false);
      expect(await scanProcesses({ owner })).toEqual([]);
    } finally {
      await stopGroups([{ pgid: started.pid, role: "app" }], 0);
    }
  });

  it("keep previewd's secrets out of a child's environment", () => {
    const env = childEnvironment(
      { PORT: "1" },
      { owner: "o", envId: "e", role: "app", name: "a" },
      {
        PATH: "/bin",
        PREVIEWD_TOKEN: "secret",
        GITHUB_TOKEN: "secret",
      },
    );
    expect(env).toEqual({
      PATH: "/bin",
      PORT: "1",
      PREVIEWD_OWNER: "o",
      PREVIEWD_ENV_ID: "e",
      PREVIEWD_ROLE: "app",
      PREVIEWD_NAME: "a",
    });
  });
});
