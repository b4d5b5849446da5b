/**
 * Every Kubernetes object of one preview environment, computed before any is created: bad input
 * (an app without a `docker` block, an image missing) is one error naming every field, and nothing
 * exists yet. The component creates these objects; `previewd render` prints them.
 */
import { ManifestError, ValidationError, type FieldError } from "../../provisioner/errors.ts";
import { appObjects } from "./app-objects.ts";
import { browserObjects } from "./browser-objects.ts";
import { containerPort } from "./in-cluster-values.ts";
import { ingressObject } from "./ingress-objects.ts";
import {
  limitRange,
  namespaceObject,
  networkPolicy,
  resourceQuota,
  serviceAccountBinding,
} from "./namespace-objects.ts";
import { planContext } from "./plan-context.ts";
import type { PlannedObject } from "./planned-object.ts";
import {
  browserName,
  browserPort,
  previewUrl,
  type PreviewEnvironmentArgs,
} from "./preview-environment-args.ts";
import { dockerBlockAmounts, serviceAmounts, type ContainerAmounts } from "./resources.ts";
import { serviceObjects } from "./service-objects.ts";

export interface PreviewEnvironmentOutputs {
  namespace: string;
  /** App name → preview URL. */
  urls: Record<string, string>;
  /** App name → its Service and port in the namespace (port-forwards, `directUrl`). */
  appServices: Record<string, { service: string; port: number }>;
  browserService: { service: string; port: number };
}

export interface PreviewEnvironmentPlan {
  /** In creation order: the Namespace first, every object after what it depends on. */
  objects: PlannedObject[];
  outputs: PreviewEnvironmentOutputs;
}

export function planPreviewEnvironment(args: PreviewEnvironmentArgs): PreviewEnvironmentPlan {
  checkArgs(args);
  const ctx = planContext(args);
  const { manifest } = args;
  const workloads: ContainerAmounts[] = [serviceAmounts.browser];
  const releases: ContainerAmounts[] = [];
  let volumes = 0;
  const inside: PlannedObject[] = [];

  for (const [name, spec] of Object.entries(manifest.services)) {
    inside.push(...serviceObjects(ctx, name, spec, args.images[name]));
    if (spec.type === "postgres") volumes++;
    workloads.push(
      spec.type === "command"
        ? dockerBlockAmounts(`services.${name}`, spec.docker)
        : serviceAmounts[spec.type],
    );
  }
  for (const [app, spec] of Object.entries(manifest.apps)) {
    const image = args.images[app] ?? spec.docker?.image ?? "";
    inside.push(...appObjects(ctx, app, spec, image));
    const amounts = dockerBlockAmounts(`apps.${app}`, spec.docker);
    workloads.push(amounts);
    if (spec.release) releases.push(amounts);
  }
  inside.push(...browserObjects(ctx), ingressObject(ctx));

  const namespace = namespaceObject(ctx);
  // Fences first: the quota and limits must exist before any pod is admitted.
  const fences = [
    serviceAccountBinding(ctx),
    networkPolicy(ctx),
    resourceQuota(ctx, workloads, releases, volumes),
    limitRange(ctx),
  ].filter((o): o is PlannedObject => o !== undefined);
  const fenceKeys = fences.map((f) => f.key);
  const objects = [
    namespace,
    ...fences.map((f) => ({ ...f, dependsOn: [namespace.key] })),
    ...inside.map((o) => ({ ...o, dependsOn: [namespace.key, ...fenceKeys, ...o.dependsOn] })),
  ];

  return {
    objects: inCreationOrder(objects),
    outputs: {
      namespace: ctx.namespace,
      urls: Object.fromEntries(Object.keys(manifest.apps).map((app) => [app, previewUrl(args, app)])),
      appServices: Object.fromEntries(
        Object.keys(manifest.apps).map((app) => [
          app,
          { service: app, port: containerPort(manifest, app) ?? 80 },
        ]),
      ),
      browserService: { service: browserName, port: browserPort },
    },
  };
}

/** Every problem at once: a ManifestError for the manifest's fields, else a ValidationError for the arguments. */
function checkArgs(args: PreviewEnvironmentArgs): void {
  const manifestErrors: FieldError[] = [];
  const argErrors: FieldError[] = [];
  const { manifest, environment, images } = args;
  const runsAsContainer = "the kubernetes runtime runs it as a container";
  for (const [app, spec] of Object.entries(manifest.apps)) {
    if (!spec.docker) {
      manifestErrors.push({
        path: `apps.${app}.docker`,
        message: `expected a docker block with port and dockerfile or image: ${runsAsContainer}`,
      });
    } else if (!images[app] && !spec.docker.image) {
      argErrors.push({
        path: `images.${app}`,
        message: `expected the image built from ${spec.docker.dockerfile ?? "its Dockerfile"} and pushed to the registry`,
      });
    }
  }
  for (const [name, spec] of Object.entries(manifest.services)) {
    if (spec.type !== "command") continue;
    if (!spec.docker) {
      manifestErrors.push({
        path: `services.${name}.docker`,
        message: `expected a docker block with port and dockerfile or image: ${runsAsContainer}`,
      });
    } else if (!images[name] && !spec.docker.image) {
      argErrors.push({ path: `images.${name}`, message: "expected the image built from its Dockerfile" });
    }
  }
  if (manifestErrors.length > 0) throw new ManifestError("preview.yaml", manifestErrors);
  if (!/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(environment.id)) {
    argErrors.push({
      path: "environment.id",
      message: `expected a DNS label of at most 40 characters (got ${JSON.stringify(environment.id)})`,
    });
  }
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(environment.baseDomain)) {
    argErrors.push({
      path: "environment.baseDomain",
      message: `expected a domain such as previews.example.com (got ${JSON.stringify(environment.baseDomain)})`,
    });
  }
  if (argErrors.length > 0) {
    throw new ValidationError(`cannot plan the Kubernetes objects of ${environment.id}`, {
      errors: argErrors,
    });
  }
}

/** Each object after everything it depends on (the plan has no cycles: the manifest's depends_on has none). */
function inCreationOrder(objects: PlannedObject[]): PlannedObject[] {
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const ordered: PlannedObject[] = [];
  const placed = new Set<string>();
  const place = (object: PlannedObject) => {
    if (placed.has(object.key)) return;
    placed.add(object.key);
    for (const key of object.dependsOn) {
      const dependency = byKey.get(key);
      if (dependency) place(dependency);
    }
    ordered.push(object);
  };
  for (const object of objects) place(object);
  return ordered;
}
