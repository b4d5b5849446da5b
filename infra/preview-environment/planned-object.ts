/**
 * One Kubernetes object of the plan: exactly what the API server gets (apiVersion, kind, metadata
 * and the rest), plus which other objects Pulumi must create first. The component turns each into
 * its @pulumi/kubernetes resource; `previewd render` prints them.
 */
import type * as k8s from "@pulumi/kubernetes";

export type ObjectMeta = {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
};

export interface PlannedObject {
  /** `<Kind>/<name>`: unique in an environment, what `dependsOn` names. */
  key: string;
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  /** The fields beside metadata: `spec`, or a Secret's `type` and `stringData`. */
  body: Record<string, unknown>;
  dependsOn: string[];
}

export type Input = typeof k8s.types.input;
export type EnvVar = k8s.types.input.core.v1.EnvVar;
export type Container = k8s.types.input.core.v1.Container;
export type PodSpec = k8s.types.input.core.v1.PodSpec;
export type ServicePort = k8s.types.input.core.v1.ServicePort;
export type Probe = k8s.types.input.core.v1.Probe;
export type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;
export type DeploymentSpec = k8s.types.input.apps.v1.DeploymentSpec;
export type StatefulSetSpec = k8s.types.input.apps.v1.StatefulSetSpec;
export type JobSpec = k8s.types.input.batch.v1.JobSpec;
export type ServiceSpec = k8s.types.input.core.v1.ServiceSpec;
export type IngressSpec = k8s.types.input.networking.v1.IngressSpec;
export type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
export type ResourceQuotaSpec = k8s.types.input.core.v1.ResourceQuotaSpec;
export type LimitRangeSpec = k8s.types.input.core.v1.LimitRangeSpec;
export type RoleRef = k8s.types.input.rbac.v1.RoleRef;
export type Subject = k8s.types.input.rbac.v1.Subject;

export function keyOf(kind: string, name: string): string {
  return `${kind}/${name}`;
}

export function planned(
  apiVersion: string,
  kind: string,
  metadata: ObjectMeta,
  body: Record<string, unknown>,
  dependsOn: string[] = [],
): PlannedObject {
  return { key: keyOf(kind, metadata.name), apiVersion, kind, metadata, body, dependsOn };
}

/** The object as the API server gets it. */
export function manifestOf(object: PlannedObject): Record<string, unknown> {
  return { apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata, ...object.body };
}

/**
 * Kubernetes expands `$(NAME)` in env values, commands and args; `$$(` keeps a literal `$(`, so a
 * value reaches the container exactly as the manifest interpolated it.
 */
export function literal(value: string): string {
  return value.replace(/\$\(/g, () => "$$(");
}
