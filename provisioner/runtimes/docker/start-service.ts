/** Starting one backing service of an environment as a container (postgres, redis or command), with its events. */
import type Docker from "dockerode";
import type { Logger } from "../../logger.ts";
import type { DeployedService, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { startCommandContainer } from "./command-container.ts";
import type { ContainerLogs } from "./container-logs.ts";
import { postgresContainerHandle, serviceContainerHandle } from "./docker-handles.ts";
import { postgresUser, startPostgresContainer } from "./postgres-container.ts";
import type { PostgresImages } from "./postgres-images.ts";
import { defaultRedisImage, startRedisContainer } from "./redis-container.ts";
import { dockerBlock, ensureServiceImage } from "./service-image.ts";
import { commandServiceInputHash } from "../service-input-hash.ts";

export interface StartServiceOptions {
  docker: Docker;
  owner: string;
  logger: Logger;
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  name: string;
  network: string;
  logs: ContainerLogs;
  /** Which image a postgres service runs (remembered between environments). */
  postgresImages: PostgresImages;
  /** Its last deployment, whose container is gone by now: Postgres keeps its volume and password. */
  previous: DeployedService | undefined;
  readyTimeoutMs: number;
  /** Called once the container exists, so it can be checkpointed before the wait. */
  onCreated(service: DeployedService): Promise<void>;
}

async function start(options: StartServiceOptions, started: (message: string) => void) {
  const { docker, owner, env, ctx, name } = options;
  const spec = env.manifest.services[name];
  const common = {
    docker,
    owner,
    name,
    network: options.network,
    logs: options.logs,
    signal: ctx.signal,
    readyTimeoutMs: options.readyTimeoutMs,
    onCreated: options.onCreated,
  };
  const previous = serviceContainerHandle(options.previous);
  switch (spec?.type) {
    case undefined:
      return undefined;
    case "postgres": {
      started("postgres container");
      const database = spec.database ?? name;
      const image = await options.postgresImages.ensure({
        ...(spec.image && { image: spec.image }),
        service: name,
        user: postgresUser,
        database,
        signal: ctx.signal,
      });
      const postgres = postgresContainerHandle(options.previous);
      const service = await startPostgresContainer({
        ...common,
        envId: env.id,
        database,
        image,
        dataInContainer: options.postgresImages.dataInContainer(image),
        ...(postgres && { previous: postgres }),
      });
      return { service, image };
    }
    case "redis": {
      const image = spec.image ?? defaultRedisImage;
      started(`redis container from ${image}`);
      const service = await startRedisContainer({
        ...common,
        envId: env.id,
        image,
        ...(previous && { previous }),
      });
      return { service, image };
    }
    case "command": {
      const block = dockerBlock(name, spec);
      const inputHash = await commandServiceInputHash(env.rootDir, env.manifest, name);
      started(`container from ${block.docker.image ?? block.docker.dockerfile}`);
      const { ref } = await ensureServiceImage({
        docker,
        owner,
        env,
        name,
        spec: block,
        signal: ctx.signal,
        onLine: (line) => options.logs.line(name, "stdout", line),
      });
      const service = await startCommandContainer({
        ...common,
        env,
        spec: block,
        image: ref,
        ...(previous && { previous }),
        ...(inputHash && { inputHash }),
      });
      return { service, image: ref };
    }
  }
}

export async function startService(options: StartServiceOptions): Promise<DeployedService | undefined> {
  const { ctx, name } = options;
  const result = await start(options, (message) =>
    ctx.event({ step: "services", app: name, status: "started", message }),
  );
  if (!result) return undefined;
  ctx.event({ step: "services", app: name, status: "succeeded", message: `running (${result.image})` });
  return result.service;
}
