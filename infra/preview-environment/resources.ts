/**
 * CPU and memory of every container, as Kubernetes quantities. An app's or command service's limits
 * come from its `docker` block (memory, cpus) like on the docker runtime, with the same defaults;
 * requests are a quarter of them, so a namespace packs onto a node the way previews are used (most
 * apps idle most of the time) while a busy one may still use its whole limit.
 */
import { ManifestError } from "../../provisioner/errors.ts";
import { defaultLimits, parseMemory } from "../../provisioner/runtimes/docker/resource-limits.ts";

export interface Amounts {
  /** Millicores. */
  cpu: number;
  /** Bytes. */
  memory: number;
}

export interface ContainerAmounts {
  limits: Amounts;
  requests: Amounts;
}

const mebibyte = 1024 ** 2;

export const serviceAmounts = {
  postgres: fromLimits({ cpu: 1000, memory: 1024 * mebibyte }),
  redis: fromLimits({ cpu: 500, memory: 256 * mebibyte }),
  browser: fromLimits({ cpu: 1000, memory: 1024 * mebibyte }),
} as const;

/** The requests that go with `limits`: a quarter, at least 10m of CPU and 32Mi of memory. */
export function fromLimits(limits: Amounts): ContainerAmounts {
  return {
    limits,
    requests: {
      cpu: Math.max(10, Math.floor(limits.cpu / 4)),
      memory: Math.max(32 * mebibyte, Math.floor(limits.memory / 4 / mebibyte) * mebibyte),
    },
  };
}

/** From `apps.<a>.docker` or `services.<s>.docker` (`at`); a bad memory size names the field. */
export function dockerBlockAmounts(
  at: string,
  docker: { memory?: string | undefined; cpus?: number | undefined } | undefined,
): ContainerAmounts {
  const text = docker?.memory ?? defaultLimits.memory;
  const memory = parseMemory(text);
  if (memory === undefined) {
    throw new ManifestError("preview.yaml", [
      {
        path: `${at}.docker.memory`,
        message: `expected a memory size of at least 6m such as "512m" or "1g" (got ${JSON.stringify(text)})`,
      },
    ]);
  }
  return fromLimits({ cpu: Math.round((docker?.cpus ?? defaultLimits.cpus) * 1000), memory });
}

/** `{cpu: "250m", memory: "256Mi"}`. */
export function quantities(amounts: Amounts): { cpu: string; memory: string } {
  return { cpu: `${amounts.cpu}m`, memory: memoryQuantity(amounts.memory) };
}

/** Bytes as Gi or Mi when they divide evenly, else as plain bytes (always a valid quantity). */
export function memoryQuantity(bytes: number): string {
  if (bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3}Gi`;
  if (bytes % mebibyte === 0) return `${bytes / mebibyte}Mi`;
  return String(bytes);
}

export function sum(amounts: Amounts[]): Amounts {
  return amounts.reduce((total, a) => ({ cpu: total.cpu + a.cpu, memory: total.memory + a.memory }), {
    cpu: 0,
    memory: 0,
  });
}

export function scale(amounts: Amounts, factor: number): Amounts {
  return { cpu: amounts.cpu * factor, memory: amounts.memory * factor };
}
