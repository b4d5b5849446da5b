/** What every part of the plan shares: the arguments, the namespace, the labels, the secret values. */
import type { Manifest } from "../../provisioner/manifest/manifest-schema.ts";
import { secretValues } from "./in-cluster-values.ts";
import { environmentLabels, workloadLabels, type LabelContext, type Role } from "./labels.ts";
import { namespaceName, type PreviewEnvironmentArgs } from "./preview-environment-args.ts";
import { keyOf, literal, type EnvVar, type ObjectMeta } from "./planned-object.ts";

export interface PlanContext {
  args: PreviewEnvironmentArgs;
  namespace: string;
  labels: LabelContext;
  /** Values (and their URL-encoded forms) that go into Secrets, never into a pod spec. */
  secrets: string[];
}

export function planContext(args: PreviewEnvironmentArgs): PlanContext {
  const raw = secretValues(args);
  return {
    args,
    namespace: namespaceName(args.environment.id),
    labels: {
      envId: args.environment.id,
      project: args.manifest.name,
      ...(args.environment.owner !== undefined && { owner: args.environment.owner }),
    },
    secrets: [...new Set([...raw, ...raw.map((s) => encodeURIComponent(s))])],
  };
}

/**
 * Metadata in the namespace: the environment's labels, or with `role` those of the app or service
 * `app` (default: the object's own name) it belongs to.
 */
export function meta(ctx: PlanContext, name: string, role?: Role, app = name): ObjectMeta {
  const labels = role ? workloadLabels(ctx.labels, app, role) : environmentLabels(ctx.labels);
  return { name, namespace: ctx.namespace, labels };
}

/** The object that must be up before what depends on `name` starts: its Deployment or StatefulSet. */
export function workloadKey(manifest: Manifest, name: string): string {
  const service = manifest.services[name];
  return keyOf(service && service.type !== "command" ? "StatefulSet" : "Deployment", name);
}

/**
 * Environment variables as a container gets them: a value holding a password or the flags token
 * comes from the Secret `secretName` (returned in `secretData`), every other one is written out,
 * so `previewd render` shows what each app gets without printing secrets into pod specs.
 */
export function containerEnv(
  ctx: PlanContext,
  variables: Record<string, string>,
  secretName: string,
): { env: EnvVar[]; secretData: Record<string, string> } {
  const env: EnvVar[] = [];
  const secretData: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (ctx.secrets.some((secret) => value.includes(secret))) {
      secretData[name] = value;
      env.push({ name, valueFrom: { secretKeyRef: { name: secretName, key: name } } });
    } else {
      env.push({ name, value: literal(value) });
    }
  }
  return { env, secretData };
}
