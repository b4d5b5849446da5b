/** What `${...}` resolves to for one app of a process-runtime environment. */
import type { InterpolationValues } from "../../manifest/interpolate.ts";
import { frontOf } from "../fronts/app-front.ts";
import type { Deployment, RuntimeEnvironment } from "../runtime.ts";
import { appHandle } from "./process-handles.ts";

/**
 * `ports` holds the port every app is reached at — its front's (fronts/app-front.ts), which
 * outlives its processes — so each app's env can name every other, and a redeploy of one app
 * changes no other app's env. `ownPort` is the port the app's own process listens on (`PORT`);
 * default its entry in `ports`.
 */
export function interpolationValues(
  env: RuntimeEnvironment,
  deployment: Deployment,
  ports: Record<string, number>,
  app: string,
  ownPort?: number,
): InterpolationValues {
  const services: InterpolationValues["services"] = {};
  for (const [name, service] of Object.entries(deployment.services)) {
    services[name] = { url: service.internalUrl };
  }
  const apps: InterpolationValues["apps"] = {};
  for (const [name, port] of Object.entries(ports)) {
    const internalUrl = `http://127.0.0.1:${port}`;
    apps[name] = { url: env.appUrls[name] ?? internalUrl, internalUrl };
  }
  return {
    env: { id: env.id, ref: env.ref, commit: env.commit },
    services,
    apps,
    port: ownPort ?? ports[app] ?? 0,
    flagsUrl: env.flagsUrl,
    ...(env.flagsToken !== undefined ? { flagsToken: env.flagsToken } : {}),
  };
}

/** The port each deployed app is reached at: its front's, or (recorded before fronts) its process's. */
export function frontPorts(deployment: Deployment): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const [name, deployed] of Object.entries(deployment.apps)) {
    const port = frontOf(deployed.handle)?.port ?? appHandle(deployed)?.port;
    if (port !== undefined) ports[name] = port;
  }
  return ports;
}
