/**
 * From a stack's outputs to the environment's Deployment record: each app's `directUrl` and each
 * service's loopback `url` are port-forwards to their Services (kept across updates, on the same
 * loopback ports where they are free), and each service's `internalUrl` is what the apps reach
 * in the namespace (the names infra/preview-environment/in-cluster-values.ts gives them).
 */
import { createHash } from "node:crypto";
import type { Manifest, ServiceSpec } from "../../manifest/manifest-schema.ts";
import { isPort } from "../handle-fields.ts";
import type { DeployedApp, DeployedService, Deployment } from "../runtime.ts";
import type { ClusterAccess, Forward } from "./cluster-access.ts";
import type { PreviewProgramOutputs } from "./preview-program.ts";

export interface ConnectOptions {
  manifest: Manifest;
  stack: string;
  outputs: PreviewProgramOutputs;
  images: Record<string, string>;
  passwords: Record<string, string>;
  cluster: ClusterAccess;
  /** The environment's open forwards by key (`app:web`, `service:db`, `browser`); updated in place. */
  forwards: Map<string, Forward>;
  /** The record before this update or adoption: its loopback ports are asked for again. */
  previous?: Deployment;
}

export async function connectDeployment(o: ConnectOptions): Promise<Deployment> {
  const { namespace } = o.outputs;
  const wanted = new Map<string, { service: string; port: number; localPort?: number }>();
  for (const [app, target] of Object.entries(o.outputs.appServices)) {
    wanted.set(`app:${app}`, { ...target, localPort: localPortOf(o.previous?.apps[app]?.handle) });
  }
  for (const [name, spec] of Object.entries(o.manifest.services)) {
    wanted.set(`service:${name}`, {
      service: name,
      port: servicePort(spec),
      localPort: localPortOf(o.previous?.services[name]?.handle),
    });
  }
  wanted.set("browser", o.outputs.browserService);

  for (const [key, forward] of [...o.forwards]) {
    if (wanted.has(key)) continue;
    o.forwards.delete(key);
    await forward.close();
  }
  const forwarded: Record<string, number> = {};
  for (const [key, target] of wanted) {
    let forward = o.forwards.get(key);
    if (!forward) {
      forward = await o.cluster.forward(namespace, target.service, target.port, target.localPort);
      o.forwards.set(key, forward);
    }
    forwarded[key] = forward.port;
  }

  const apps: Record<string, DeployedApp> = {};
  for (const [app, target] of Object.entries(o.outputs.appServices)) {
    const localPort = forwarded[`app:${app}`]!;
    const image = o.images[app] ?? "";
    apps[app] = {
      status: "healthy",
      directUrl: `http://127.0.0.1:${localPort}`,
      inputHash: appHash(o.manifest, app, image),
      handle: { stack: o.stack, namespace, ...target, localPort, image, url: o.outputs.urls[app] },
    };
  }
  const services: Record<string, DeployedService> = {};
  for (const [name, spec] of Object.entries(o.manifest.services)) {
    const localPort = forwarded[`service:${name}`]!;
    const password = o.passwords[name];
    services[name] = {
      type: spec.type,
      status: "running",
      url: serviceUrl(name, spec, "127.0.0.1", localPort, password),
      internalUrl: serviceUrl(name, spec, name, servicePort(spec), password),
      handle: {
        stack: o.stack,
        namespace,
        localPort,
        ...(password !== undefined && { password }),
        ...(o.images[name] && { image: o.images[name] }),
      },
    };
  }
  return { runtime: "kubernetes", apps, services };
}

/** The loopback port of the Chromium forward (the bridge's browser), while the environment runs. */
export function browserPort(forwards: Map<string, Forward>): number | undefined {
  return forwards.get("browser")?.port;
}

/** What decides an app's pod: its image (content-addressed) and its manifest entry. */
export function appHash(manifest: Manifest, app: string, image: string): string {
  return createHash("sha256")
    .update(JSON.stringify([image, manifest.apps[app], manifest.env ?? {}]))
    .digest("hex")
    .slice(0, 16);
}

function localPortOf(handle: Record<string, unknown> | undefined): number | undefined {
  return isPort(handle?.localPort) ? handle.localPort : undefined;
}

export function servicePort(spec: ServiceSpec): number {
  if (spec.type === "postgres") return 5432;
  if (spec.type === "redis") return 6379;
  return spec.docker?.port ?? 80;
}

function serviceUrl(name: string, spec: ServiceSpec, host: string, port: number, password?: string): string {
  if (spec.type === "postgres") {
    const auth = `postgres:${encodeURIComponent(password ?? "")}`;
    return `postgres://${auth}@${host}:${port}/${spec.database ?? name}`;
  }
  if (spec.type === "redis") return `redis://${host}:${port}`;
  return `http://${host}:${port}`;
}
