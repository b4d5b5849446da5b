/**
 * One app as a container on the environment's network (alias: the app name, once it serves), its
 * port published on 127.0.0.1, its environment interpolated for container-to-container
 * addresses, then waited for on its health path through the published port.
 */
import { appHealth } from "../../manifest/manifest-schema.ts";
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { ProvisionError } from "../../errors.ts";
import { appEnvironment, type InterpolationValues } from "../../manifest/interpolate.ts";
import { unhealthyMessage, waitHealthy } from "../health-check.ts";
import type { DeployedApp, Deployment, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { ContainerLogs } from "./container-logs.ts";
import { frontUrl, type Front } from "../fronts/app-front.ts";
import { containerName, labelsOf } from "./docker-labels.ts";
import { gatewayHostname } from "./flags-gateway.ts";
import { containerLimits } from "./resource-limits.ts";
import type { MadeAhead } from "./app-precreation.ts";
import { releaseHeld } from "./held-start.ts";
import { exitCodeOf, loopbackBinding, startContainer, startCreatedContainer } from "./run-container.ts";

/** What `${...}` resolves to inside a container: app and service names on the environment's network. */
export function containerValues(
  env: RuntimeEnvironment,
  deployment: Deployment,
  app: string,
  flagsUrl: string,
): InterpolationValues {
  const services: InterpolationValues["services"] = {};
  for (const [name, service] of Object.entries(deployment.services))
    services[name] = { url: service.internalUrl };
  const apps: InterpolationValues["apps"] = {};
  for (const [name, spec] of Object.entries(env.manifest.apps)) {
    const internalUrl = `http://${name}:${spec.docker?.port ?? 80}`;
    apps[name] = { url: env.appUrls[name] ?? internalUrl, internalUrl };
  }
  return {
    env: { id: env.id, ref: env.ref, commit: env.commit },
    services,
    apps,
    port: env.manifest.apps[app]?.docker?.port ?? 80,
    // Docker forwards the published port to the container's own interface, never to its loopback.
    host: "0.0.0.0",
    flagsUrl,
    ...(env.flagsToken !== undefined && { flagsToken: env.flagsToken }),
  };
}

export interface AppContainerSpec {
  image: string;
  port: number;
  env: string[];
  limits: ReturnType<typeof containerLimits>;
  /** Hash of all of the above: unchanged, the running container is kept. */
  hash: string;
}

export function appContainerSpec(
  env: RuntimeEnvironment,
  deployment: Deployment,
  app: string,
  image: string,
  flagsUrl: string,
): AppContainerSpec {
  const spec = env.manifest.apps[app];
  const port = spec?.docker?.port;
  if (!spec || port === undefined) {
    throw new ProvisionError(`app ${app} needs apps.${app}.docker.port for the docker runtime`, "start", app);
  }
  const variables = appEnvironment(env.manifest, app, containerValues(env, deployment, app, flagsUrl));
  const list = Object.entries(variables)
    .map(([key, value]) => `${key}=${value}`)
    .sort();
  const limits = containerLimits(app, spec);
  // A new commit alone does not restart an app whose inputs did not change (as with processes).
  const decisive = list.filter((entry) => !entry.startsWith("PREVIEW_COMMIT="));
  const hash = createHash("sha256")
    // `release` is left out when there is none, so the hash of an app without one stays as it was.
    .update(
      JSON.stringify({ image, port, env: decisive, limits, health: spec.health, release: spec.release }),
    )
    .digest("hex");
  return { image, port, env: list, limits, hash };
}

/** What an app's container is created with: its name, image, env, labels, port and network. */
export interface AppContainerPlace {
  owner: string;
  env: RuntimeEnvironment;
  app: string;
  spec: AppContainerSpec;
  network: { name: string; gateway: string };
  /** Which of the app's containers this is (its name's suffix and label). */
  generation: number;
  /** Its names on the network: the app's name, or none while an older container still serves it. */
  aliases: string[];
}

export function appContainerOptions(place: AppContainerPlace): Docker.ContainerCreateOptions {
  const { env, app, spec, generation } = place;
  return {
    name: containerName(env.id, app, generation),
    Image: spec.image,
    Env: spec.env,
    Labels: labelsOf({
      owner: place.owner,
      envId: env.id,
      role: "app",
      name: app,
      specHash: spec.hash,
      generation,
    }),
    ExposedPorts: { [`${spec.port}/tcp`]: {} },
    HostConfig: {
      // The engine picks the host port: the app's stable address is its front.
      PortBindings: loopbackBinding(spec.port),
      ExtraHosts: [`${gatewayHostname}:${place.network.gateway}`],
      RestartPolicy: { Name: "no" },
      ...spec.limits,
    },
    NetworkingConfig: { EndpointsConfig: { [place.network.name]: { Aliases: place.aliases } } },
  };
}

export interface StartAppContainerOptions extends AppContainerPlace {
  docker: Docker;
  ctx: RuntimeContext;
  flagsPort: number;
  /** The app's front, if it has one: its address is the record's `directUrl`. */
  front?: Front;
  /**
   * A container made ahead with these very options (app-precreation.ts): created, to start instead
   * of creating one, or started with its process held (held-start.ts), to release.
   */
  created?: MadeAhead;
  /** Runs the container's start (which takes it an address on the network), and its creation if any. */
  starting?: <T>(work: () => Promise<T>) => Promise<T>;
  logs: ContainerLogs;
  healthTimeoutMs: number;
  onCreated(app: DeployedApp): Promise<void>;
}

export async function startAppContainer(options: StartAppContainerOptions): Promise<DeployedApp> {
  const { docker, env, ctx, app, spec } = options;
  const { path: health, timeoutMs = options.healthTimeoutMs } = appHealth(env.manifest.apps[app]);
  ctx.event({ step: "start", app, status: "started", message: `container from ${spec.image}` });
  const { generation, front, created, starting = (work) => work() } = options;
  const held = created?.heldOnPort;
  const started = await starting(() =>
    held !== undefined
      ? Promise.resolve({ id: created!.id, hostPort: held })
      : created
        ? startCreatedContainer(docker.getContainer(created.id), spec.port)
        : startContainer(docker, appContainerOptions(options), spec.port),
  );
  // Its output from its container's start: released after, none of it is missed.
  await options.logs.follow(app, started.id, false);
  if (held !== undefined) await releaseHeld(docker, started.id);
  const deployed: DeployedApp = {
    status: "starting",
    directUrl: front ? frontUrl(front) : `http://127.0.0.1:${started.hostPort}`,
    inputHash: spec.hash,
    handle: {
      containerId: started.id,
      hostPort: started.hostPort,
      image: spec.image,
      flagsPort: options.flagsPort,
      generation,
      ...(front && { front }),
    },
  };
  await options.onCreated(deployed);
  ctx.event({
    step: "health",
    app,
    status: "started",
    message: `waiting for ${health} on port ${started.hostPort}`,
  });
  let checks = 0;
  const result = await waitHealthy({
    port: started.hostPort,
    path: health,
    timeoutMs,
    signal: ctx.signal,
    // Asking the engine on every probe is wasteful; every fifth is quick enough to notice a crash.
    exitCode: () => (checks++ % 5 === 0 ? exitCodeOf(docker, started.id) : undefined),
  });
  if (!result.ok) {
    await sleep(200); // Let the last lines of output arrive.
    const message = unhealthyMessage(app, health, timeoutMs, result);
    throw new ProvisionError(message, "health", app, options.logs.tail(app));
  }
  ctx.event({ step: "health", app, status: "succeeded", message: `healthy on port ${started.hostPort}` });
  return { ...deployed, status: "healthy" };
}
