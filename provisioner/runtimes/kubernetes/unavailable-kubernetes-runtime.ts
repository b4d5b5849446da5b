/**
 * The `kubernetes` runtime's stand-in while this build has no Kubernetes runtime: registered so
 * that asking for it answers 503 runtime-unavailable saying why (this build, plus any missing
 * pulumi CLI or kubeconfig), instead of a 400 that suggests the name is a typo. It never
 * starts anything, so it has nothing to adopt, destroy or reconcile.
 */
import { RuntimeUnavailableError } from "../../errors.ts";
import type { Runtime } from "../runtime.ts";
import { missingKubernetesPrerequisites, type PrerequisiteEnv } from "./kubernetes-prerequisites.ts";

export function createUnavailableKubernetesRuntime(env: PrerequisiteEnv = process.env): Runtime {
  const unavailable = async (): Promise<never> => {
    const missing = await missingKubernetesPrerequisites(env);
    const needs = missing.length > 0 ? `; it would also need ${missing.join(" and ")}` : "";
    throw new RuntimeUnavailableError(
      `the kubernetes runtime is not available in this build of previewd${needs}. Use runtime "process" or "docker".`,
    );
  };
  return {
    name: "kubernetes",
    checkAvailable: unavailable,
    provision: unavailable,
    update: unavailable,
    exec: unavailable,
    restartService: unavailable,
    adopt: () => Promise.resolve(undefined),
    destroy: () => Promise.resolve(),
    reconcile: () => Promise.resolve([]),
    close: () => Promise.resolve(),
  };
}
