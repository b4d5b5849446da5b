/**
 * Starts a real previewd in this process on port 0 with a temporary data dir, and talks to it
 * over HTTP the way an agent would.
 */
import http from "node:http";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../provisioner/config.ts";
import { silentLogger, type Logger } from "../../provisioner/logger.ts";
import { startPreviewd, type Previewd } from "../../provisioner/previewd.ts";
import { ownerIdOf } from "../../provisioner/owner-id.ts";
import {
  isRoot,
  ownerDir,
  removeIfEmpty,
  rootHome,
} from "../../provisioner/runtimes/process/postgres-home.ts";
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import { loadGitHubConfig, type GitHubConfig } from "../../provisioner/github/github-config.ts";

export interface Harness {
  previewd: Previewd;
  url: string;
  dataDir: string;
  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply<T>>;
  /**
   * POST /v1/environments?wait=true and return the environment, waiting up to `timeoutS` seconds
   * (default 120) for it to be ready or failed: give a suite's hook timeout to slower repos.
   */
  create(body: Record<string, unknown>, timeoutS?: number): Promise<Reply<EnvironmentView>>;
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

export function temporaryDataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "previewd-data-"));
}

export async function startHarness(
  options: {
    dataDir?: string;
    port?: number;
    token?: string;
    /** PREVIEWD_PUBLIC_PREVIEWS: with a token, previews open to anyone. */
    publicPreviews?: boolean;
    reapIntervalMs?: number;
    /** Default: GitHub off, whatever this process's GITHUB_* variables say. */
    github?: GitHubConfig;
    /** Default: silent. */
    logger?: Logger;
    /** How builds and starts are ordered (PREVIEWD_PIPELINE, PREVIEWD_BUILD_CONCURRENCY). */
    pipeline?: "concurrent" | "sequential";
    buildConcurrency?: number;
    /** How installs are shared, and the shared caches' size cap (PREVIEWD_INSTALL_SHARING, PREVIEWD_CACHE_MAX_BYTES). */
    installSharing?: "package-manager" | "full-copies";
    cacheMaxBytes?: number;
  } = {},
): Promise<Harness> {
  const dataDir = options.dataDir ?? temporaryDataDir();
  const config = loadConfig(
    {
      dataDir,
      port: options.port ?? 0,
      ...(options.token && { token: options.token }),
      ...(options.publicPreviews && { publicPreviews: true }),
      ...(options.pipeline && { pipeline: options.pipeline }),
      ...(options.buildConcurrency && { buildConcurrency: options.buildConcurrency }),
      ...(options.installSharing && { installSharing: options.installSharing }),
      ...(options.cacheMaxBytes && { cacheMaxBytes: options.cacheMaxBytes }),
    },
    {},
  );
  const previewd = await startPreviewd(config, {
    logger: options.logger ?? silentLogger,
    healthTimeoutMs: 30_000,
    github: options.github ?? loadGitHubConfig({}),
    ...(options.reapIntervalMs && { reapIntervalMs: options.reapIntervalMs }),
  });
  const harness: Harness = {
    previewd,
    url: previewd.url,
    dataDir,
    async request(method, route, body, headers = {}) {
      const response = await fetch(previewd.url + route, {
        method,
        headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
        ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed as never };
    },
    async create(body, timeoutS = 120) {
      const deadline = Date.now() + timeoutS * 1000;
      // Node's fetch stops waiting for response headers after 300 s, so a longer wait goes on in-process.
      const reply = await harness.request<EnvironmentView>(
        "POST",
        `/v1/environments?wait=true&timeout=${Math.min(timeoutS, 240)}`,
        body,
      );
      const settled = reply.status >= 300 || ["ready", "failed"].includes(reply.body.status);
      if (settled || Date.now() >= deadline) return reply;
      const view = await previewd.orchestrator.waitFor(
        reply.body.id,
        ["ready", "failed"],
        deadline - Date.now(),
      );
      return { ...reply, body: JSON.parse(JSON.stringify(view)) as EnvironmentView };
    },
    async close({ keepData = false } = {}) {
      if (!keepData) {
        for (const env of previewd.orchestrator.list())
          await previewd.orchestrator.delete(env.id).catch(() => undefined);
        await previewd.orchestrator.idle();
      }
      await previewd.close();
      if (!keepData) {
        await rm(dataDir, { recursive: true, force: true });
        // As root the package managers' stores live outside the data dir (shared-caches.ts).
        if (isRoot()) {
          const owner = ownerDir(rootHome, ownerIdOf(dataDir));
          await rm(path.join(owner, "stores"), { recursive: true, force: true });
          await removeIfEmpty(owner);
        }
      }
    },
  };
  return harness;
}

/** GET through previewd's proxy by Host header (Node cannot resolve *.localhost; Chromium and curl can). */
export function getViaProxy(
  origin: string,
  host: string,
  route = "/",
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path: route, headers: { ...headers, host } },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject).end();
  });
}
