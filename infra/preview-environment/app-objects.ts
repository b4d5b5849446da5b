/**
 * One app: a Deployment of its per-commit image (rolling, one new pod ready before the old one
 * goes: no 502s during a redeploy), a Service (its port, and 80 for the preview URL), a Secret
 * for the variables that hold a password or token, and its `release` as a Job.
 *
 * The release runs first, ordered by Pulumi (dependsOn): Pulumi waits for a Job to complete, and
 * fails the update with the Job's failure, before it creates or rolls the Deployment. An
 * initContainer that waits for the Job would need a ServiceAccount allowed to read Jobs in every
 * app pod and an image with kubectl; the Job first needs neither, and a failed release never
 * leaves a new app pod waiting. The Deployment names its Job in an annotation, for readers.
 */
import { createHash } from "node:crypto";
import type { AppSpec } from "../../provisioner/manifest/manifest-schema.ts";
import { containerPort, inClusterAppEnvironment } from "./in-cluster-values.ts";
import { selectorLabels, workloadLabels } from "./labels.ts";
import { containerEnv, meta, workloadKey, type PlanContext } from "./plan-context.ts";
import {
  keyOf,
  literal,
  planned,
  type Container,
  type DeploymentSpec,
  type EnvVar,
  type JobSpec,
  type PlannedObject,
  type PodSpec,
  type ServicePort,
  type ServiceSpec,
} from "./planned-object.ts";
import { appProbes } from "./probes.ts";
import { dockerBlockAmounts, quantities } from "./resources.ts";

export const releaseAnnotation = "previewd.dev/after-release";

export function appObjects(ctx: PlanContext, app: string, spec: AppSpec, image: string): PlannedObject[] {
  const port = containerPort(ctx.args.manifest, app) ?? 80;
  const secretName = `${app}-env`;
  const { env, secretData } = containerEnv(ctx, inClusterAppEnvironment(ctx.args, app), secretName);
  const hasSecret = Object.keys(secretData).length > 0;
  const amounts = dockerBlockAmounts(`apps.${app}`, spec.docker);
  const resources = { limits: quantities(amounts.limits), requests: quantities(amounts.requests) };
  const after = [
    ...spec.depends_on.map((name) => workloadKey(ctx.args.manifest, name)),
    ...(hasSecret ? [keyOf("Secret", secretName)] : []),
  ];
  const objects: PlannedObject[] = [];
  if (hasSecret) {
    objects.push(
      planned("v1", "Secret", meta(ctx, secretName, "app", app), { type: "Opaque", stringData: secretData }),
    );
  }
  const release = spec.release
    ? releaseJob(ctx, app, { image, command: spec.release, env, resources })
    : undefined;
  if (release) objects.push({ ...release, dependsOn: after });

  const container: Container = {
    name: app,
    image,
    ports: [{ name: "http", containerPort: port }],
    env,
    resources,
    ...appProbes(spec),
  };
  const deployment: DeploymentSpec = {
    replicas: 1,
    revisionHistoryLimit: 2,
    selector: { matchLabels: selectorLabels(ctx.labels, app, "app") },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: {
      metadata: { labels: workloadLabels(ctx.labels, app, "app") },
      spec: podSpec([container]),
    },
  };
  const deploymentMeta = meta(ctx, app, "app");
  if (release) deploymentMeta.annotations = { [releaseAnnotation]: release.metadata.name };
  objects.push(
    planned(
      "apps/v1",
      "Deployment",
      deploymentMeta,
      { spec: deployment },
      release ? [release.key, ...after] : after,
    ),
    planned("v1", "Service", meta(ctx, app, "app"), { spec: appService(ctx, app, port) }),
  );
  return objects;
}

/** The app's port under its own number (`${apps.<a>.internalUrl}`), and 80 (the preview URL's port). */
function appService(ctx: PlanContext, app: string, port: number): ServiceSpec {
  const ports: ServicePort[] = [{ name: "http", port, targetPort: "http" }];
  if (port !== 80) ports.push({ name: "web", port: 80, targetPort: "http" });
  return { type: "ClusterIP", selector: selectorLabels(ctx.labels, app, "app"), ports };
}

interface ReleaseSpec {
  image: string;
  command: string;
  env: EnvVar[];
  resources: Container["resources"];
}

/**
 * `sh -c <release>` in the app's image with its environment, once. A Job's pod template cannot
 * change, so its name carries a hash of what it runs: a new commit or command is a new Job (Pulumi
 * creates it, waits for it, then deletes the old one); the same one is left as it ran.
 */
function releaseJob(ctx: PlanContext, app: string, release: ReleaseSpec): PlannedObject {
  const hash = createHash("sha256").update(JSON.stringify(release)).digest("hex").slice(0, 10);
  const name = `${app}-release-${hash}`;
  const container: Container = {
    name: "release",
    image: release.image,
    command: ["sh", "-c", literal(release.command)],
    env: release.env,
    resources: release.resources,
  };
  const job: JobSpec = {
    // A failed release fails the environment with step "release", as on the other runtimes: no retries.
    backoffLimit: 0,
    activeDeadlineSeconds: 1800,
    template: {
      metadata: { labels: workloadLabels(ctx.labels, app, "release") },
      spec: { ...podSpec([container]), restartPolicy: "Never" },
    },
  };
  return planned("batch/v1", "Job", meta(ctx, name, "release", app), { spec: job });
}

/**
 * No service account token (apps never talk to the API server) and no Docker-link variables:
 * a Service called `api` would otherwise give every pod `API_PORT=tcp://…`, over an app's own env.
 */
export function podSpec(containers: Container[]): PodSpec {
  return { automountServiceAccountToken: false, enableServiceLinks: false, containers };
}
