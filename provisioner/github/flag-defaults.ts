/** The manifest's flag defaults of an environment, so the PR comment can list only flags that differ. */
import type { FlagValue } from "../environments/environment-schema.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";

export function flagDefaultsFrom(orchestrator: {
  record(id: string): { manifest: Pick<Manifest, "flags"> };
}): (envId: string) => Record<string, FlagValue> | undefined {
  return (envId) => {
    try {
      const flags = orchestrator.record(envId).manifest.flags;
      return Object.fromEntries(Object.entries(flags).map(([key, spec]) => [key, spec.default]));
    } catch {
      return undefined; // gone meanwhile: the comment lists every flag instead
    }
  };
}
