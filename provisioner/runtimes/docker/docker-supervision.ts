/**
 * Supervision on the docker runtime (supervisor.ts does the when): a container that stopped
 * running is down, an app (or `command` service) container whose health path does not answer is
 * failing. A restart
 * starts the same container again (its volume, so its data, kept) and follows its logs again;
 * the engine may publish it on another loopback port, which the new handle records and the
 * app's front (its stable address, fronts/app-front.ts) is pointed at. A front that died comes
 * back on its port.
 */
import { appHealth } from "../../manifest/manifest-schema.ts";
import type Docker from "dockerode";
import { ProvisionError } from "../../errors.ts";
import { checkHealth, unhealthyMessage, waitHealthy } from "../health-check.ts";
import type { Deployment, RuntimeEnvironment, Supervision, SupervisionContext } from "../runtime.ts";
import { appStatusOf, serviceStatusOf, unitStatusOf } from "../supervision/restart-context.ts";
import { startSupervisor, type Probe, type SupervisedUnit } from "../supervision/supervisor.ts";
import type { ContainerLogs } from "./container-logs.ts";
import { dockerStatus } from "./docker-engine.ts";
import { appContainerHandle, serviceContainerHandle } from "./docker-handles.ts";
import { restartServiceContainer } from "./service-restart.ts";
import { exitCodeOf, restartContainer } from "./run-container.ts";
import { frontRunning, pointFront, startFront } from "../fronts/app-front.ts";

export interface DockerSupervisionOptions {
  docker: Docker;
  owner: string;
  env: RuntimeEnvironment;
  deployment: Deployment;
  ctx: SupervisionContext;
  logs: ContainerLogs;
  healthTimeoutMs: number;
  serviceTimeoutMs: number;
}

/** Whether the container runs; a container removed behind previewd's back is down too. */
async function running(docker: Docker, id: string | undefined): Promise<Probe> {
  if (!id) return { state: "exited", reason: "it has no container" };
  try {
    const info = await docker.getContainer(id).inspect();
    if (info.State.Running) return { state: "up" };
    return { state: "exited", reason: `its container exited with code ${info.State.ExitCode}` };
  } catch (error) {
    if (dockerStatus(error) === 404) return { state: "exited", reason: "its container is gone" };
    throw error; // The engine did not answer: nothing to decide on.
  }
}

function appUnit(o: DockerSupervisionOptions, deployment: Deployment, app: string): SupervisedUnit {
  const { path, timeoutMs = o.healthTimeoutMs } = appHealth(o.env.manifest.apps[app]);
  const containerPort = o.env.manifest.apps[app]?.docker?.port ?? 80;
  const place = { owner: o.owner, envId: o.env.id, dataDir: o.env.dataDir, app };
  return {
    kind: "app",
    name: app,
    status: unitStatusOf(deployment.apps[app]?.status ?? "healthy"),
    async probe(signal) {
      const handle = appContainerHandle(deployment.apps[app]);
      const look = await running(o.docker, handle?.containerId);
      if (look.state !== "up" || !handle) return look;
      if (handle.front && !(await frontRunning(place, handle.front)))
        return {
          state: "exited",
          reason: `its front (pid ${handle.front.pid}, port ${handle.front.port}) is gone`,
        };
      const problem = await checkHealth(handle.hostPort, path, signal);
      return problem === undefined ? { state: "up" } : { state: "failing", reason: `${path}: ${problem}` };
    },
    async restart(signal) {
      const current = deployment.apps[app];
      const handle = appContainerHandle(current);
      if (!current || !handle) throw new ProvisionError(`${app} has no container record`, "supervise", app);
      const { front } = handle;
      const frontGone = front !== undefined && !(await frontRunning(place, front));
      if (frontGone)
        current.handle = { ...current.handle, front: await startFront(place, front.port, handle.hostPort) };
      // When only its front went, the container keeps serving.
      if (frontGone && (await running(o.docker, handle.containerId)).state === "up") return;
      const hostPort = await restartContainer(o.docker, handle.containerId, containerPort);
      // The engine may publish it on another port: its front follows; without one, its directUrl.
      if (front) await pointFront(place, hostPort);
      else current.directUrl = `http://127.0.0.1:${hostPort}`;
      current.handle = { ...current.handle, hostPort };
      await o.logs.follow(app, handle.containerId, true);
      const result = await waitHealthy({
        port: hostPort,
        path,
        timeoutMs,
        signal,
        exitCode: () => exitCodeOf(o.docker, handle.containerId),
        intervalMs: 200,
      });
      if (result.ok) return;
      await o.docker
        .getContainer(handle.containerId)
        .stop({ t: 2 })
        .catch(() => undefined);
      throw new ProvisionError(unhealthyMessage(app, path, timeoutMs, result), "supervise", app);
    },
    report(status) {
      const current = deployment.apps[app];
      if (!current) return;
      current.status = appStatusOf[status];
      o.ctx.appChanged(app, structuredClone(current));
    },
  };
}

function serviceUnit(o: DockerSupervisionOptions, deployment: Deployment, name: string): SupervisedUnit {
  return {
    kind: "service",
    name,
    status: unitStatusOf(deployment.services[name]?.status ?? "running"),
    async probe(signal) {
      const handle = serviceContainerHandle(deployment.services[name]);
      const look = await running(o.docker, handle?.containerId);
      // A `command` service with a health path is watched like an app.
      const spec = o.env.manifest.services[name];
      const health = spec?.type === "command" ? spec.health : undefined;
      if (look.state !== "up" || !handle || health === undefined) return look;
      const problem = await checkHealth(handle.hostPort, health, signal);
      return problem === undefined ? { state: "up" } : { state: "failing", reason: `${health}: ${problem}` };
    },
    async restart(signal) {
      deployment.services[name] = await restartServiceContainer({
        docker: o.docker,
        env: o.env,
        name,
        current: deployment.services[name],
        logs: o.logs,
        signal,
        readyTimeoutMs: o.serviceTimeoutMs,
        step: "supervise",
        onRestarted: (service) => void (deployment.services[name] = service),
      });
    },
    report(status) {
      const current = deployment.services[name];
      if (!current) return;
      current.status = serviceStatusOf[status];
      o.ctx.serviceChanged(name, structuredClone(current));
    },
  };
}

export function superviseContainers(options: DockerSupervisionOptions): Supervision {
  // The watch's own copy, kept current as containers restart.
  const deployment = structuredClone(options.deployment);
  const units = [
    ...Object.keys(deployment.services).map((name) => serviceUnit(options, deployment, name)),
    ...Object.keys(deployment.apps).map((app) => appUnit(options, deployment, app)),
  ];
  return startSupervisor({ units, event: options.ctx.event });
}
