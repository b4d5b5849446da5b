/** What `${...}` resolves to for one app of a process-runtime environment. */
import type { InterpolationValues } from "../../manifest/interpolate.ts";
import type { Deployment, RuntimeEnvironment } from "../runtime.ts";

/** `ports` holds every app's port, so each app's env can name every other app. */
export function interpolationValues(
  env: RuntimeEnvironment,
  deployment: Deployment,
  ports: Record<string, number>,
  app: string,
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
    port: ports[app] ?? 0,
    flagsUrl: env.flagsUrl,
    ...(env.flagsToken !== undefined ? { flagsToken: env.flagsToken } : {}),
  };
}
