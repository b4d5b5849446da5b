/**
 * Resuming a container's logs after previewd comes back: with nothing recorded about it (previewd
 * died before its cursor or its log store reached the disk), every line the container wrote is
 * new to the store and is read, not only what comes after the restart.
 */
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLogStore } from "../provisioner/logs/memory-log-store.ts";
import { ContainerLogs } from "../provisioner/runtimes/docker/container-logs.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import { docker, joinDockerSuites, skipDocker } from "./helpers/docker-engine.ts";
import { fixtureBaseImage } from "./helpers/docker-fixture.ts";
import { eventually } from "./helpers/processes.ts";

describe.skipIf(skipDocker)("container logs resumed after a restart", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "previewd-container-logs-"));
  let leave: () => Promise<void>;
  let containerId: string | undefined;

  beforeAll(async () => {
    leave = await joinDockerSuites();
    await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
  }, 300_000);

  afterAll(async () => {
    if (containerId)
      await docker
        .getContainer(containerId)
        .remove({ force: true })
        .catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    await leave?.();
  });

  it("reads a container's earlier lines when no cursor and no stored line say where it stopped", async () => {
    const container = await docker.createContainer({
      Image: fixtureBaseImage,
      Cmd: ["node", "-e", "console.log('written while previewd was down'); setInterval(() => {}, 1000)"],
    });
    containerId = container.id;
    await container.start();
    await eventually(async () => {
      const text = (await container.logs({ stdout: true, stderr: true })).toString();
      expect(text).toContain("written while previewd was down");
    });

    // Into the next second: a resume that started "from now" could no longer see the line.
    await sleep(1_100);
    const logs = new MemoryLogStore();
    const follower = new ContainerLogs(docker, "env", dataDir, logs);
    await follower.follow("web", container.id, true);
    try {
      await eventually(() =>
        expect(logs.query("env", { apps: ["web"] }).map((e) => e.line)).toContain(
          "written while previewd was down",
        ),
      );
    } finally {
      await follower.stopAll();
    }
  });
});
