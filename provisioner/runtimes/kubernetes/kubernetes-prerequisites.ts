/**
 * What the kubernetes runtime needs on this machine, checked before anything starts (SPEC: it
 * says clearly what is missing): the pulumi CLI, a kubeconfig with a context (or the in-cluster
 * service account), and a registry for the apps' images.
 */
import { access, constants } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { RuntimeUnavailableError, errorMessage } from "../../errors.ts";
import { loadKubeConfig, type KubeEnv } from "./kube-config.ts";

export interface PrerequisiteEnv extends KubeEnv {
  PATH?: string;
  PULUMI_HOME?: string;
}

export interface Prerequisites {
  registry?: string;
  context?: string;
}

/** Where the steps to run the runtime on a real cluster are written down. */
export const kubernetesDoc = "docs/kubernetes.md";

/** Human-readable descriptions of the missing prerequisites; empty when everything is there. */
export async function missingKubernetesPrerequisites(
  wanted: Prerequisites,
  env: PrerequisiteEnv = process.env,
): Promise<string[]> {
  const missing: string[] = [];
  if (!(await pulumiCli(env))) {
    missing.push(
      `the pulumi CLI (not found on PATH nor in ${path.join(pulumiHome(env), "bin")}; install it from https://www.pulumi.com/docs/install/ or set PULUMI_HOME)`,
    );
  }
  try {
    await loadKubeConfig(wanted.context, env);
  } catch (error) {
    if (!(error instanceof RuntimeUnavailableError)) throw error;
    missing.push(errorMessage(error));
  }
  if (!wanted.registry) {
    missing.push(
      "a registry for the apps' images (set PREVIEWD_KUBERNETES_REGISTRY to one the cluster pulls from, e.g. localhost:5001/previews)",
    );
  }
  return missing;
}

/** Throws a 503 naming every missing part and the doc; resolves when nothing is missing. */
export async function assertKubernetesPrerequisites(
  wanted: Prerequisites,
  env: PrerequisiteEnv = process.env,
): Promise<void> {
  const missing = await missingKubernetesPrerequisites(wanted, env);
  if (missing.length === 0) return;
  throw new RuntimeUnavailableError(
    `the kubernetes runtime is not available: it needs ${missing.join("; and ")}. See ${kubernetesDoc}; or use runtime "process" or "docker".`,
  );
}

/** The pulumi executable, on PATH or in `$PULUMI_HOME/bin` (where its installer puts it). */
export async function pulumiCli(env: PrerequisiteEnv): Promise<string | undefined> {
  const dirs = [...(env.PATH ?? "").split(path.delimiter).filter(Boolean), path.join(pulumiHome(env), "bin")];
  for (const dir of dirs) {
    const file = path.join(dir, "pulumi");
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}

export function pulumiHome(env: PrerequisiteEnv): string {
  return env.PULUMI_HOME ?? path.join(env.HOME ?? os.homedir(), ".pulumi");
}
