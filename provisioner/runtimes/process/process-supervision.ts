/**
 * Supervision on the process runtime (supervisor.ts does the when): an app or a service is down
 * when its labelled group leader is gone; an app is failing when its health path does not
 * answer. A restart stops what is left of the group and starts it again on the same port, with
 * the same cluster and password. An app's front (its stable address, fronts/app-front.ts) that
 * died comes back on its port, pointed at the app's process.
 */
import { appHealth } from "../../manifest/manifest-schema.ts";
import type { Deployment, RuntimeEnvironment, Supervision, SupervisionContext } from "../runtime.ts";
import { checkHealth } from "../health-check.ts";
import { startSupervisor, type SupervisedUnit } from "../supervision/supervisor.ts";
import {
  appStatusOf,
  restartContext,
  serviceStatusOf,
  unitStatusOf,
} from "../supervision/restart-context.ts";
import { startApp } from "./app-process.ts";
import { frontRunning, startFront } from "../fronts/app-front.ts";
import { frontPorts, interpolationValues } from "./interpolation-values.ts";
import { waitPortFree } from "./port-allocator.ts";
import { appHandle, serviceHandle } from "./process-handles.ts";
import { stopGroups } from "./process-group.ts";
import { isOurs } from "./process-scan.ts";
import type { ProcessEnvironment } from "./process-steps.ts";
import { restartServiceProcess } from "./service-restart.ts";
import { ProvisionError } from "../../errors.ts";

export interface ProcessSupervisionOptions {
  env: RuntimeEnvironment;
  deployment: Deployment;
  ctx: SupervisionContext;
  state: ProcessEnvironment;
  owner: string;
  healthTimeoutMs: number;
  stopGraceMs: number;
  serviceTimeoutMs: number;
  postgresTemplates?: string;
}

/** Waits for the port the app or service must come back on; something else on it is a failed restart. */
async function portBack(port: number, name: string): Promise<void> {
  if (!(await waitPortFree(port, 3_000)))
    throw new ProvisionError(`port ${port} of ${name} is still taken`, "supervise", name);
}

function appUnit(o: ProcessSupervisionOptions, deployment: Deployment, app: string): SupervisedUnit {
  const { path } = appHealth(o.env.manifest.apps[app]);
  const place = { owner: o.owner, envId: o.env.id, dataDir: o.env.dataDir, app };
  return {
    kind: "app",
    name: app,
    status: unitStatusOf(deployment.apps[app]?.status ?? "healthy"),
    async probe(signal) {
      const handle = appHandle(deployment.apps[app]);
      if (!handle || !(await isOurs(handle.pid, o.owner, o.env.id, app)))
        return { state: "exited", reason: `its process (pid ${handle?.pid ?? "?"}) is gone` };
      if (handle.front && !(await frontRunning(place, handle.front)))
        return {
          state: "exited",
          reason: `its front (pid ${handle.front.pid}, port ${handle.front.port}) is gone`,
        };
      const problem = await checkHealth(handle.port, path, signal);
      return problem === undefined ? { state: "up" } : { state: "failing", reason: `${path}: ${problem}` };
    },
    async restart(signal) {
      const current = deployment.apps[app];
      const handle = appHandle(current);
      if (!current || !handle) throw new ProvisionError(`${app} has no process record`, "supervise", app);
      const frontGone = handle.front !== undefined && !(await frontRunning(place, handle.front));
      // When only its front went, the process keeps serving and only the front comes back.
      if (!frontGone || !(await isOurs(handle.pid, o.owner, o.env.id, app))) {
        await stopGroups([{ pgid: handle.pgid, role: "app" }], o.stopGraceMs);
        await portBack(handle.port, app);
        deployment.apps[app] = await startApp({
          env: o.env,
          ctx: restartContext(o.ctx, signal),
          app,
          owner: o.owner,
          port: handle.port,
          values: interpolationValues(o.env, deployment, frontPorts(deployment), app, handle.port),
          inputHash: current.inputHash,
          output: o.state.output,
          healthTimeoutMs: o.healthTimeoutMs,
          stopGraceMs: o.stopGraceMs,
          ...(handle.front && { front: handle.front }),
          // The new pid is on record before the health wait: a previewd killed now still finds it.
          onSpawned: async (started) => {
            deployment.apps[app] = started;
            o.ctx.appChanged(app, structuredClone(started));
          },
        });
      }
      const restarted = deployment.apps[app];
      if (frontGone && handle.front && restarted) {
        restarted.handle = {
          ...restarted.handle,
          front: await startFront(place, handle.front.port, handle.port),
        };
      }
    },
    report(status) {
      const current = deployment.apps[app];
      if (!current) return;
      current.status = appStatusOf[status];
      o.ctx.appChanged(app, structuredClone(current));
    },
  };
}

function serviceUnit(o: ProcessSupervisionOptions, deployment: Deployment, name: string): SupervisedUnit {
  return {
    kind: "service",
    name,
    status: unitStatusOf(deployment.services[name]?.status ?? "running"),
    async probe(signal) {
      const handle = serviceHandle(deployment.services[name]);
      const alive = handle !== undefined && (await isOurs(handle.pid, o.owner, o.env.id, name));
      if (!alive) return { state: "exited", reason: `its server (pid ${handle?.pid ?? "?"}) is gone` };
      // A `command` service with a health path is watched like an app.
      const spec = o.env.manifest.services[name];
      const health = spec?.type === "command" ? spec.health : undefined;
      const problem = health === undefined ? undefined : await checkHealth(handle.port, health, signal);
      return problem === undefined ? { state: "up" } : { state: "failing", reason: `${health}: ${problem}` };
    },
    async restart(signal) {
      deployment.services[name] = await restartServiceProcess({
        env: o.env,
        ctx: restartContext(o.ctx, signal),
        name,
        owner: o.owner,
        previous: deployment.services[name],
        output: o.state.output,
        readyTimeoutMs: o.serviceTimeoutMs,
        stopGraceMs: o.stopGraceMs,
        ...(o.postgresTemplates && { templatesDir: o.postgresTemplates }),
        step: "supervise",
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

export function superviseProcesses(options: ProcessSupervisionOptions): Supervision {
  // The watch's own copy, kept current as things restart: restarts read each other's ports and URLs.
  const deployment = structuredClone(options.deployment);
  const units = [
    ...Object.keys(deployment.services).map((name) => serviceUnit(options, deployment, name)),
    ...Object.keys(deployment.apps).map((app) => appUnit(options, deployment, app)),
  ];
  return startSupervisor({ units, event: options.ctx.event });
}
