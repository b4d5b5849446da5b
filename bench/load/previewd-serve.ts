/**
 * `previewd serve` in a process of its own, from the current sources (tsx), as a user runs it: a
 * benchmark's load generator must not share previewd's event loop. `close()` deletes every
 * environment, stops previewd and removes its data dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import { temporaryDataDir } from "../../test/helpers/previewd-harness.ts";
import { api, exited, freePort, repoRoot } from "../../test/helpers/serve-process.ts";

export interface ServedPreviewd {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** The app's process and its front's, as the process runtime recorded them (state.json). */
  appPids(envId: string, app: string): Promise<{ app?: number; front?: number }>;
  /** POST /v1/environments?wait=true; throws unless the environment is ready. */
  create(body: Record<string, unknown>, timeoutS?: number): Promise<EnvironmentView>;
  close(): Promise<void>;
}

interface RecordedHandle {
  pid?: number;
  front?: { pid?: number };
}

export async function servePreviewd(env: Record<string, string> = {}): Promise<ServedPreviewd> {
  const dataDir = temporaryDataDir();
  const port = await freePort();
  const logFile = path.join(dataDir, "previewd.log");
  const log = openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "provisioner/cli/main.ts"), "serve", "--port", String(port)],
    {
      cwd: repoRoot,
      env: { ...process.env, PREVIEWD_DATA_DIR: dataDir, PREVIEWD_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", log, log],
    },
  );
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const call = <T>(method: string, route: string, body?: unknown) => api<T>(port, method, route, body);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`previewd serve exited: ${readFileSync(logFile, "utf8")}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`previewd serve did not answer within 60 s: ${readFileSync(logFile, "utf8")}`);
    }
    await sleep(100);
  }
  return {
    url,
    port,
    dataDir,
    process: child,
    api: call,
    async appPids(envId, app) {
      const state = JSON.parse(await readFile(path.join(dataDir, "state.json"), "utf8")) as {
        environments: Array<{
          id: string;
          deployment?: { apps: Record<string, { handle?: RecordedHandle }> };
        }>;
      };
      const handle = state.environments.find((e) => e.id === envId)?.deployment?.apps[app]?.handle;
      return { app: handle?.pid, front: handle?.front?.pid };
    },
    async create(body, timeoutS = 300) {
      const reply = await call<EnvironmentView>(
        "POST",
        `/v1/environments?wait=true&timeout=${timeoutS}`,
        body,
      );
      if (reply.body?.status !== "ready")
        throw new Error(`environment not ready (${reply.status}): ${JSON.stringify(reply.body)}`);
      return reply.body;
    },
    async close() {
      const list = await call<EnvironmentView[]>("GET", "/v1/environments").catch(() => undefined);
      await Promise.all(
        (list?.body ?? []).map((e) =>
          call("DELETE", `/v1/environments/${e.id}?wait=true`).catch(() => undefined),
        ),
      );
      child.kill("SIGTERM");
      await Promise.race([exited(child), sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
