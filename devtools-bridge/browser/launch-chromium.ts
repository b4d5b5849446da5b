/**
 * Starts one headless Chromium in its own process group with a fresh user-data-dir, and stops
 * it (the whole group, then the directory). The DevTools port is read from the
 * "DevTools listening on ws://…" line Chromium prints on stderr.
 */
import { spawn } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { BrowserUnavailableError } from "../bridge-errors.ts";
import { chromiumArgs } from "./chromium-args.ts";
import { browserEnvironment } from "./browser-labels.ts";

export interface LaunchChromiumOptions {
  executable: string;
  /** The user-data-dir is created inside it and removed when the browser stops. */
  parentDir: string;
  baseDomain: string;
  labels: Record<string, string>;
  startTimeoutMs?: number;
  /** Who it runs as (its user-data-dir is handed to that user); undefined: previewd's own user. */
  user?: { uid: number; gid: number };
}

export interface RunningChromium {
  pid: number;
  /** The loopback DevTools port. */
  port: number;
  /** The browser target's id, as in `/devtools/browser/<id>`. */
  browserId: string;
  userDataDir: string;
  /** Resolves when the main process exits (on stop or on a crash). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines Chromium wrote on stderr, for error messages. */
  stderrTail(): string[];
  /** SIGTERM the group, SIGKILL after `graceMs`, remove the user-data-dir. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const tailLines = 20;

export async function launchChromium(options: LaunchChromiumOptions): Promise<RunningChromium> {
  const userDataDir = await mkdtemp(
    path.join(options.parentDir, `${options.labels.PREVIEWD_ENV_ID ?? "env"}-`),
  );
  const user = options.user;
  if (user) await chown(userDataDir, user.uid, user.gid);
  const args = chromiumArgs({
    userDataDir,
    baseDomain: options.baseDomain,
    root: process.getuid?.() === 0,
  });
  const child = spawn(options.executable, args, {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    // Its HOME is its user-data-dir: root's is not the user's to write (~/.pki, ~/.cache).
    env: { ...browserEnvironment(options.labels), ...(user && { HOME: userDataDir }) },
    ...(user && { uid: user.uid, gid: user.gid }),
  });
  const tail: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 2000): Promise<void> => {
    stopping ??= (async () => {
      signalGroup(child.pid, "SIGTERM");
      const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([exited, timer]);
      // Renderers may outlive the main process for a moment; the group goes with it.
      signalGroup(child.pid, "SIGKILL");
      await exited;
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    })();
    return stopping;
  };

  try {
    const endpoint = await new Promise<URL>((resolve, reject) => {
      let pending = "";
      // Keep draining stderr for the browser's whole life: a full pipe would block Chromium.
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          tail.push(line);
          if (tail.length > tailLines) tail.shift();
          const match = /DevTools listening on (ws:\/\/\S+)/.exec(line);
          if (match?.[1]) resolve(new URL(match[1]));
        }
      });
      child.once("error", (error) =>
        reject(new BrowserUnavailableError(`could not start ${options.executable}: ${error.message}`)),
      );
      void exited.then(({ code, signal }) =>
        reject(
          new BrowserUnavailableError(
            `Chromium exited during start (${signal ?? `code ${code}`}): ${tail.slice(-5).join(" | ")}`,
          ),
        ),
      );
      const timeoutMs = options.startTimeoutMs ?? 20_000;
      setTimeout(
        () => reject(new BrowserUnavailableError(`Chromium did not start within ${timeoutMs} ms`)),
        timeoutMs,
      ).unref();
    });
    const browserId = endpoint.pathname.split("/").at(-1) ?? "";
    return {
      pid: child.pid!,
      port: Number(endpoint.port),
      browserId,
      userDataDir,
      exited,
      stderrTail: () => [...tail],
      stop,
    };
  } catch (error) {
    await stop(0);
    throw error;
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}
