/**
 * Every Docker object previewd creates (containers, networks, volumes, images) carries these
 * labels, so a restarted previewd finds what it started without any record, and never touches
 * anything unlabelled or owned by another previewd. Images are content-addressed and shared by
 * environments, so they carry no environment id (and environment cleanup leaves them).
 */
export const OWNER_LABEL = "dev.previewd.owner";
export const ENV_LABEL = "dev.previewd.env";
export const ROLE_LABEL = "dev.previewd.role";
/** The app or service name. */
export const NAME_LABEL = "dev.previewd.name";
/** Hash of what decided the object (an app's input hash, an image's content hash). */
export const SPEC_LABEL = "dev.previewd.spec-hash";
/** Which of an app's containers this is: 1 at first, one more on each replacing update. */
export const GENERATION_LABEL = "dev.previewd.generation";

/** `release`: the one-shot container of an app's `release`. */
export type DockerRole = "app" | "release" | "service" | "network" | "volume" | "image";

export interface DockerLabels {
  owner: string;
  /** Every object but images. */
  envId?: string;
  role: DockerRole;
  name?: string;
  specHash?: string;
  generation?: number;
}

export function labelsOf(labels: DockerLabels): Record<string, string> {
  return {
    [OWNER_LABEL]: labels.owner,
    ...(labels.envId !== undefined && { [ENV_LABEL]: labels.envId }),
    [ROLE_LABEL]: labels.role,
    ...(labels.name !== undefined && { [NAME_LABEL]: labels.name }),
    ...(labels.specHash !== undefined && { [SPEC_LABEL]: labels.specHash }),
    ...(labels.generation !== undefined && { [GENERATION_LABEL]: String(labels.generation) }),
  };
}

/** A `filters` value for the list endpoints: objects with every given label. */
export function labelFilter(match: { owner: string; envId?: string; role?: DockerRole; name?: string }): {
  label: string[];
} {
  const label = [`${OWNER_LABEL}=${match.owner}`];
  if (match.envId !== undefined) label.push(`${ENV_LABEL}=${match.envId}`);
  if (match.role !== undefined) label.push(`${ROLE_LABEL}=${match.role}`);
  if (match.name !== undefined) label.push(`${NAME_LABEL}=${match.name}`);
  return { label };
}

/** `previewd-<env-id>`: the environment's network (SPEC: one network per environment). */
export function networkName(envId: string): string {
  return `previewd-${envId}`;
}

/**
 * `previewd-<env-id>-<name>`; an app's later generations (zero-downtime updates start the new
 * container beside the old one) add `_<generation>`, which no app name contains.
 */
export function containerName(envId: string, name: string, generation = 1): string {
  return `previewd-${envId}-${name}${generation > 1 ? `_${generation}` : ""}`;
}
