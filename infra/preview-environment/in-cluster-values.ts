/**
 * What `${...}` resolves to inside the namespace: services and apps by their Service names (the
 * namespace's DNS search path finds them), the public preview URLs for `${apps.<a>.url}`. The
 * variables themselves come from provisioner/manifest/interpolate.ts, as on every runtime.
 */
import { createHash } from "node:crypto";
import {
  appEnvironment,
  serviceEnvironment,
  type InterpolationValues,
} from "../../provisioner/manifest/interpolate.ts";
import type { Manifest } from "../../provisioner/manifest/manifest-schema.ts";
import { previewUrl, type PreviewEnvironmentArgs } from "./preview-environment-args.ts";

export const postgresUser = "postgres";
export const postgresPort = 5432;
export const redisPort = 6379;

/** The port an app or command service listens on: its `docker.port`. */
export function containerPort(manifest: Manifest, name: string): number | undefined {
  const app = manifest.apps[name];
  if (app) return app.docker?.port;
  const service = manifest.services[name];
  return service?.type === "command" ? service.docker?.port : undefined;
}

/** A Postgres service's password: the one given, else one derived from the environment id. */
export function postgresPassword(args: PreviewEnvironmentArgs, service: string): string {
  const given = args.servicePasswords?.[service];
  if (given !== undefined) return given;
  return createHash("sha256")
    .update(`previewd:${args.environment.id}:${service}`)
    .digest("base64url")
    .slice(0, 24);
}

/** Every service's in-cluster URL (`postgres://postgres:…@db:5432/shop`, `redis://cache:6379`, `http://payments:4010`). */
export function serviceUrls(args: PreviewEnvironmentArgs): InterpolationValues["services"] {
  const urls: InterpolationValues["services"] = {};
  for (const [name, spec] of Object.entries(args.manifest.services)) {
    if (spec.type === "postgres") {
      const auth = `${postgresUser}:${encodeURIComponent(postgresPassword(args, name))}`;
      urls[name] = { url: `postgres://${auth}@${name}:${postgresPort}/${spec.database ?? name}` };
    } else if (spec.type === "redis") {
      urls[name] = { url: `redis://${name}:${redisPort}` };
    } else {
      urls[name] = { url: `http://${name}:${spec.docker?.port ?? 80}` };
    }
  }
  return urls;
}

function values(args: PreviewEnvironmentArgs) {
  const { id, ref, commit } = args.environment;
  return { env: { id, ref, commit } };
}

/** An app's environment variables in its pod: HOST=0.0.0.0 (the pod's interface), PORT, PREVIEW_*. */
export function inClusterAppEnvironment(args: PreviewEnvironmentArgs, app: string): Record<string, string> {
  const { manifest, environment } = args;
  const apps: InterpolationValues["apps"] = {};
  for (const name of Object.keys(manifest.apps)) {
    apps[name] = {
      url: previewUrl(args, name),
      internalUrl: `http://${name}:${containerPort(manifest, name) ?? 80}`,
    };
  }
  return appEnvironment(manifest, app, {
    ...values(args),
    services: serviceUrls(args),
    apps,
    port: containerPort(manifest, app) ?? 80,
    host: "0.0.0.0",
    flagsUrl: environment.flagsUrl,
    ...(environment.flagsToken !== undefined && { flagsToken: environment.flagsToken }),
  });
}

/** A `command` service's environment variables in its pod. */
export function inClusterServiceEnvironment(
  args: PreviewEnvironmentArgs,
  service: string,
): Record<string, string> {
  const apps = Object.fromEntries(
    Object.keys(args.manifest.apps).map((name) => [name, { url: previewUrl(args, name) }]),
  );
  return serviceEnvironment(args.manifest, service, {
    ...values(args),
    apps,
    port: containerPort(args.manifest, service) ?? 80,
    host: "0.0.0.0",
  });
}

/** The values among an environment's variables that must stay out of plain pod specs. */
export function secretValues(args: PreviewEnvironmentArgs): string[] {
  const secrets = Object.entries(args.manifest.services)
    .filter(([, spec]) => spec.type === "postgres")
    .map(([name]) => postgresPassword(args, name));
  if (args.environment.flagsToken) secrets.push(args.environment.flagsToken);
  return secrets.filter((s) => s.length > 0);
}
