/**
 * Every process the process runtime spawns carries these variables in its environment. They are
 * inherited by its children and readable in `/proc/<pid>/environ`, so previewd can find what it
 * started after a crash, with or without a deployment record.
 */
export const OWNER_LABEL = "PREVIEWD_OWNER";
export const ENV_LABEL = "PREVIEWD_ENV_ID";
export const ROLE_LABEL = "PREVIEWD_ROLE";
export const NAME_LABEL = "PREVIEWD_NAME";

/**
 * `service`: Postgres or Redis; `command`: a `command` service (stopped like an app, its whole
 * group); `front`: an app's stable address, forwarding to its current instance (fronts/app-front.ts).
 */
export type ProcessRole = "app" | "service" | "command" | "install" | "build" | "release" | "exec" | "front";

export interface ProcessLabels {
  owner: string;
  envId: string;
  role: ProcessRole;
  /** The app or service name; `install` for the install step. */
  name: string;
}

const roles: readonly string[] = [
  "app",
  "service",
  "command",
  "install",
  "build",
  "release",
  "exec",
  "front",
];

export function labelVariables(labels: ProcessLabels): Record<string, string> {
  return {
    [OWNER_LABEL]: labels.owner,
    [ENV_LABEL]: labels.envId,
    [ROLE_LABEL]: labels.role,
    [NAME_LABEL]: labels.name,
  };
}

export function parseLabels(variables: Record<string, string | undefined>): ProcessLabels | undefined {
  const owner = variables[OWNER_LABEL];
  const envId = variables[ENV_LABEL];
  if (!owner || !envId) return undefined;
  const role = variables[ROLE_LABEL];
  return {
    owner,
    envId,
    role: role && roles.includes(role) ? (role as ProcessRole) : "app",
    name: variables[NAME_LABEL] ?? "",
  };
}

/** previewd's own secrets and labels must not leak into (or confuse) the processes it starts. */
const hiddenVariables = /^(PREVIEWD_|GITHUB_TOKEN$|GITHUB_WEBHOOK_SECRET$)/;

/** The environment of a spawned process: previewd's own (minus its secrets), then `extra`, then the labels. */
export function childEnvironment(
  extra: Record<string, string>,
  labels: ProcessLabels,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !hiddenVariables.test(key)) env[key] = value;
  }
  return { ...env, ...extra, ...labelVariables(labels) };
}
