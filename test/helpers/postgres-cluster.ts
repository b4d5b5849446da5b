/**
 * A Postgres cluster of a suite's own, started as the process runtime starts one (from a 0700
 * folder, and as root in a home of previewd's own, postgres-home.ts), with its connection URL and
 * what stops it and removes its folders.
 */
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MemoryLogStore } from "../../provisioner/logs/memory-log-store.ts";
import { OutputCapture } from "../../provisioner/runtimes/process/output-capture.ts";
import { PortAllocator } from "../../provisioner/runtimes/process/port-allocator.ts";
import { stopGroups } from "../../provisioner/runtimes/process/process-group.ts";
import {
  postgresUrl,
  startPostgres,
  type PostgresHandle,
} from "../../provisioner/runtimes/process/postgres-service.ts";

export interface TestCluster {
  handle: PostgresHandle;
  /** To `database`, as its superuser. */
  url: string;
  stop(): Promise<void>;
}

export async function startTestCluster(name: string, database: string): Promise<TestCluster> {
  const base = mkdtempSync(path.join(os.tmpdir(), `previewd-${name}-`));
  const home = mkdtempSync(path.join(os.tmpdir(), `previewd-${name}-home-`));
  const removeFolders = async () => {
    await rm(base, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  };
  const envDataDir = path.join(base, "env");
  const { handle } = await startPostgres({
    owner: `${name}-test-${process.pid}`,
    envId: name,
    name: "db",
    database,
    envDataDir,
    port: await new PortAllocator().allocate(),
    output: new OutputCapture(name, envDataDir, new MemoryLogStore()),
    signal: new AbortController().signal,
    readyTimeoutMs: 30_000,
    home,
  }).catch(async (error: unknown) => {
    await removeFolders();
    throw error;
  });
  return {
    handle,
    url: postgresUrl(handle),
    async stop() {
      await stopGroups([{ pgid: handle.pid, role: "service" }], 5_000);
      await removeFolders();
    },
  };
}
