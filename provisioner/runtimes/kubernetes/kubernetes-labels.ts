/**
 * Labels on what the kubernetes runtime creates, so a restarted previewd finds its namespaces
 * without a record and never touches another previewd's (the same idea as docker-labels.ts, in
 * Kubernetes' `prefix/name` form). The preview program puts them on the Namespace and on every
 * object in it; pod logs are labelled by app through APP_LABEL.
 */
export const OWNER_LABEL = "previewd.dev/owner";
export const ENV_LABEL = "previewd.dev/environment";
/** On pods: the app or service a container belongs to (what its log lines are labelled with). */
export const APP_LABEL = "previewd.dev/app";

/** One Pulumi stack per environment: `<owner>--<env-id>`, so a shared backend keeps previewds apart. */
export function stackName(owner: string, envId: string): string {
  return `${owner}--${envId}`;
}

/** The environment id of one of `owner`'s stacks, or undefined for anyone else's. */
export function envIdOfStack(owner: string, stack: string): string | undefined {
  // Pulumi Cloud lists `org/project/stack`; the file backend lists the bare name.
  const name = stack.split("/").pop() ?? stack;
  const prefix = `${owner}--`;
  return name.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : undefined;
}

/** A label selector for one previewd's namespaces, or one environment's. */
export function namespaceSelector(owner: string, envId?: string): string {
  return [`${OWNER_LABEL}=${owner}`, ...(envId === undefined ? [] : [`${ENV_LABEL}=${envId}`])].join(",");
}
