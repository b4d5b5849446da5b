/** Connecting to the Docker engine, and saying precisely what is missing when it cannot be reached. */
import { stat } from "node:fs/promises";
import Docker from "dockerode";
import { RuntimeUnavailableError, errorMessage } from "../../errors.ts";

export interface DockerEngineOptions {
  /** The engine's Unix socket; default: DOCKER_HOST if it is `unix://…`, else /var/run/docker.sock. */
  socketPath?: string;
}

export function engineSocket(options: DockerEngineOptions = {}, env = process.env): string {
  if (options.socketPath) return options.socketPath;
  const host = env.DOCKER_HOST;
  if (host?.startsWith("unix://")) return host.slice("unix://".length);
  return "/var/run/docker.sock";
}

export function connectEngine(socketPath: string): Docker {
  return new Docker({ socketPath });
}

/** Throws RuntimeUnavailableError naming the missing part: no socket, or a daemon that does not answer. */
export async function checkEngine(docker: Docker, socketPath: string, timeoutMs = 5_000): Promise<void> {
  const found = await stat(socketPath).then(
    (s) => s.isSocket(),
    () => false,
  );
  if (!found) {
    throw new RuntimeUnavailableError(
      `the docker runtime needs a Docker engine: no socket at ${socketPath} (install Docker and start dockerd, or set DOCKER_HOST=unix://…)`,
    );
  }
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
  } catch (error) {
    throw new RuntimeUnavailableError(
      `the docker runtime needs a Docker engine: the daemon at ${socketPath} is not answering (${errorMessage(error)}); is dockerd running?`,
      { cause: error },
    );
  }
}

/** Docker's HTTP status of a failed call (404 no such object, 409 conflict, 304 already done). */
export function dockerStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** Runs a removal, treating "no such object" and "already in progress" as done. */
export async function ignoreGone<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    const status = dockerStatus(error);
    if (status === 404 || status === 304) return undefined;
    if (status === 409 && /already in progress/i.test(errorMessage(error))) return undefined;
    throw error;
  }
}
