/** What the Kubernetes runtime needs on this machine (SPEC: the pulumi CLI and a kubeconfig), and which parts are missing. */
import { access, constants } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface PrerequisiteEnv {
  PATH?: string;
  KUBECONFIG?: string;
  HOME?: string;
}

/** Human-readable descriptions of the missing prerequisites; empty when both are there. */
export async function missingKubernetesPrerequisites(env: PrerequisiteEnv = process.env): Promise<string[]> {
  const missing: string[] = [];
  if (!(await onPath("pulumi", env.PATH ?? ""))) {
    missing.push("the pulumi CLI (not found on PATH; see https://www.pulumi.com/docs/install/)");
  }
  const kubeconfigs = kubeconfigPaths(env);
  if (!(await anyReadable(kubeconfigs))) {
    missing.push(`a kubeconfig (none readable at ${kubeconfigs.join(", ")}; set KUBECONFIG)`);
  }
  return missing;
}

/** KUBECONFIG may list several files, like kubectl reads it; default ~/.kube/config. */
function kubeconfigPaths(env: PrerequisiteEnv): string[] {
  const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
  return listed.length > 0 ? listed : [path.join(env.HOME ?? os.homedir(), ".kube", "config")];
}

async function onPath(command: string, searchPath: string): Promise<boolean> {
  return anyReadable(
    searchPath
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.join(dir, command)),
    constants.X_OK,
  );
}

async function anyReadable(files: string[], mode = constants.R_OK): Promise<boolean> {
  for (const file of files) {
    if (
      await access(file, mode).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}
