/** An app container's memory, CPU and process limits: from `apps.<a>.docker`, else the defaults. */
import { ManifestError } from "../../errors.ts";
import type { AppSpec } from "../../manifest/manifest-schema.ts";

export const defaultLimits = { memory: "1g", cpus: 1, pids: 512 } as const;

const units: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Docker's memory notation: `512m`, `1g`, `1048576`. */
export function parseMemory(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(text.trim());
  if (!match?.[1]) return undefined;
  const bytes = Math.floor(Number(match[1]) * (units[(match[2] ?? "").toLowerCase()] ?? 1));
  return bytes >= 6 * 1024 ** 2 ? bytes : undefined;
}

export interface ContainerLimits {
  Memory: number;
  NanoCpus: number;
  PidsLimit: number;
}

export function containerLimits(app: string, spec: AppSpec): ContainerLimits {
  const memoryText = spec.docker?.memory ?? defaultLimits.memory;
  const memory = parseMemory(memoryText);
  if (memory === undefined) {
    throw new ManifestError("preview.yaml", [
      {
        path: `apps.${app}.docker.memory`,
        message: `expected a memory size of at least 6m such as "512m" or "1g" (got ${JSON.stringify(memoryText)})`,
      },
    ]);
  }
  return {
    Memory: memory,
    NanoCpus: Math.round((spec.docker?.cpus ?? defaultLimits.cpus) * 1e9),
    PidsLimit: spec.docker?.pids ?? defaultLimits.pids,
  };
}
