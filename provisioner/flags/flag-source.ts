/**
 * What the flag and OFREP routes need from previewd: an environment's flag declarations and
 * values, a way to set them, and news of changes. The orchestrator provides it.
 */
import type { FlagValue } from "../environments/environment-schema.ts";
import type { FlagSpec } from "../manifest/manifest-schema.ts";
import type { EnvironmentRecord } from "../orchestrator/environment-record.ts";

export interface EnvironmentFlags {
  /** From the manifest: type, default, description. */
  declared: Record<string, FlagSpec>;
  /** Current values: defaults overridden by the scenario and the API. */
  values: Record<string, FlagValue>;
}

export interface FlagSource {
  /** Throws NotFoundError for an unknown environment. */
  read(id: string): EnvironmentFlags;
  /** Validates (ValidationError), logs each change with old and new value, and notifies subscribers. */
  set(id: string, values: Record<string, FlagValue>, source: string): Promise<Record<string, FlagValue>>;
  /** `listener` runs after every change of the environment's flags; returns the unsubscribe function. */
  subscribe(id: string, listener: () => void): () => void;
}

interface FlagOwner {
  record(id: string): Pick<EnvironmentRecord, "manifest" | "flags">;
  setFlags(id: string, values: Record<string, FlagValue>, source: string): Promise<Record<string, FlagValue>>;
  subscribeFlags(id: string, listener: (flags: Record<string, FlagValue>) => void): () => void;
}

/** The orchestrator as a FlagSource. */
export function orchestratorFlags(orchestrator: FlagOwner): FlagSource {
  return {
    read(id) {
      const record = orchestrator.record(id);
      return { declared: record.manifest.flags, values: record.flags };
    },
    set: (id, values, source) => orchestrator.setFlags(id, values, source),
    subscribe: (id, listener) => orchestrator.subscribeFlags(id, () => listener()),
  };
}
