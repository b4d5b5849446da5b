/**
 * The `PreviewEnvironment` Pulumi component: every object of the plan (plan.ts) as a
 * @pulumi/kubernetes resource, child of the component, created after what it depends on. Names
 * are fixed (the plan's), so a replaced object is deleted before its successor is created.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { planPreviewEnvironment, type PreviewEnvironmentOutputs } from "./plan.ts";
import type { PlannedObject } from "./planned-object.ts";
import type { PreviewEnvironmentArgs } from "./preview-environment-args.ts";

type ResourceClass = new (
  name: string,
  args: Record<string, unknown>,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

// The constructors' argument types differ by kind; the plan's objects are typed where they are built.
const resourceClasses: Record<string, ResourceClass> = {
  "v1/Namespace": k8s.core.v1.Namespace as unknown as ResourceClass,
  "v1/Secret": k8s.core.v1.Secret as unknown as ResourceClass,
  "v1/Service": k8s.core.v1.Service as unknown as ResourceClass,
  "v1/ResourceQuota": k8s.core.v1.ResourceQuota as unknown as ResourceClass,
  "v1/LimitRange": k8s.core.v1.LimitRange as unknown as ResourceClass,
  "apps/v1/Deployment": k8s.apps.v1.Deployment as unknown as ResourceClass,
  "apps/v1/StatefulSet": k8s.apps.v1.StatefulSet as unknown as ResourceClass,
  "batch/v1/Job": k8s.batch.v1.Job as unknown as ResourceClass,
  "networking.k8s.io/v1/Ingress": k8s.networking.v1.Ingress as unknown as ResourceClass,
  "networking.k8s.io/v1/NetworkPolicy": k8s.networking.v1.NetworkPolicy as unknown as ResourceClass,
  "rbac.authorization.k8s.io/v1/RoleBinding": k8s.rbac.v1.RoleBinding as unknown as ResourceClass,
};

export class PreviewEnvironment extends pulumi.ComponentResource {
  /** Known before anything is created: names and URLs follow from the arguments alone. */
  readonly outputs: PreviewEnvironmentOutputs;
  readonly resources: ReadonlyMap<string, pulumi.CustomResource>;

  constructor(name: string, args: PreviewEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("previewd:kubernetes:PreviewEnvironment", name, {}, opts);
    // Planning throws on bad input before any resource is registered: nothing half-made.
    const plan = planPreviewEnvironment(args);
    const resources = new Map<string, pulumi.CustomResource>();
    for (const object of plan.objects) {
      resources.set(object.key, this.#create(args.environment.id, object, resources));
    }
    this.resources = resources;
    this.outputs = plan.outputs;
    this.registerOutputs({ ...plan.outputs });
  }

  #create(
    envId: string,
    object: PlannedObject,
    created: ReadonlyMap<string, pulumi.CustomResource>,
  ): pulumi.CustomResource {
    const Class = resourceClasses[`${object.apiVersion}/${object.kind}`];
    if (!Class) throw new TypeError(`no @pulumi/kubernetes class for ${object.apiVersion} ${object.kind}`);
    const dependsOn = object.dependsOn.flatMap((key) => created.get(key) ?? []);
    return new Class(
      `${envId}-${object.kind.toLowerCase()}-${object.metadata.name}`,
      { metadata: object.metadata, ...object.body },
      { parent: this, dependsOn, deleteBeforeReplace: true },
    );
  }
}
