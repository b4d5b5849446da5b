/**
 * The baseline of bench/rows/docker-warm.ts: examples/shop as a hand-written Compose file
 * (bench/docker-vs-compose.compose.yaml: the same Dockerfiles, Postgres image and loopback ports
 * as previewd's docker runtime), brought up with Debian's `docker-compose` (1.29) and timed until
 * every app answers its health path. The Node base image (`node:20-slim`, with an offline npm
 * cache) and Postgres are local images, so no registry is used.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { localPostgresImage } from "../../provisioner/runtimes/docker/postgres-image.ts";

const run = promisify(execFile);
const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const composeFile = path.join(benchDir, "docker-vs-compose.compose.yaml");
/** Compose's project name: its containers carry `com.docker.compose.project=previewdbench`. */
export const project = "previewdbench";
/** Each app's port in its container and health path, as in examples/shop/preview.yaml. */
export const shopHealth: Record<string, [number, string]> = {
  api: [3000, "/healthz"],
  web: [3001, "/healthz"],
  admin: [3002, "/healthz"],
};

/** `docker-compose version --short`, or undefined when it is not installed. */
export async function composeVersion(): Promise<string | undefined> {
  return run("docker-compose", ["version", "--short"]).then(
    ({ stdout }) => stdout.trim(),
    () => undefined,
  );
}

export class ComposeShop {
  readonly #docker: Docker;
  readonly #env: NodeJS.ProcessEnv;

  private constructor(docker: Docker, pgImage: string) {
    this.#docker = docker;
    // The classic builder, as previewd's docker runtime uses.
    this.#env = { ...process.env, PG_IMAGE: pgImage, COMPOSE_DOCKER_CLI_BUILD: "0", DOCKER_BUILDKIT: "0" };
  }

  /** Builds the three app images, so that every `up` after this one is warm. */
  static async prepare(docker: Docker): Promise<ComposeShop> {
    const shop = new ComposeShop(docker, await localPostgresImage(docker, "bench"));
    await shop.#compose(["build"]);
    await shop.#compose(["down", "-v"]);
    return shop;
  }

  /** `up -d`, then every app polled every 10 ms: ms until `up` has returned and all answer. */
  async upUntilHealthy(): Promise<number> {
    const began = performance.now();
    await this.#compose(["up", "-d"]);
    const containers = await this.#docker.listContainers({
      filters: { label: [`com.docker.compose.project=${project}`] },
    });
    await Promise.all(
      Object.entries(shopHealth).map(async ([app, [port, route]]) => {
        const container = containers.find((c) => c.Labels["com.docker.compose.service"] === app);
        const published = container?.Ports.find((p) => p.PrivatePort === port)?.PublicPort;
        if (!published) throw new Error(`docker-compose started no ${app} published on 127.0.0.1`);
        const deadline = performance.now() + 120_000;
        while (!(await answers(`http://127.0.0.1:${published}${route}`))) {
          if (performance.now() > deadline) throw new Error(`${app} of docker-compose never became healthy`);
          await sleep(10);
        }
      }),
    );
    return performance.now() - began;
  }

  /**
   * `up --no-start`: the project's network and its four containers created, none started (the
   * floor in bench/docker/containers-by-hand.ts starts them itself), Postgres's from `pgImage`
   * when given. Their ids by service.
   */
  async createAhead(pgImage?: string): Promise<Map<string, string>> {
    await this.#compose(["up", "--no-start"], pgImage ? { PG_IMAGE: pgImage } : {});
    const containers = await this.#docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${project}`] },
    });
    return new Map(containers.map((c) => [c.Labels["com.docker.compose.service"] ?? c.Id, c.Id]));
  }

  async down(): Promise<void> {
    await this.#compose(["down", "-v"]);
  }

  async #compose(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const options = { env: { ...this.#env, ...env }, maxBuffer: 64 << 20 };
    return (await run("docker-compose", ["-p", project, "-f", composeFile, ...args], options)).stdout;
  }
}

/** Whether `url` answers below 400 within 2 s. */
export async function answers(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    async (r) => (await r.body?.cancel(), r.status < 400),
    () => false,
  );
}
