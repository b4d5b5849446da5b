/**
 * Health probes from the manifest's `health` (appHealth()): a startup probe that gives the app its
 * whole `health.timeout` (default 60 s) to answer 2xx/3xx, then readiness (out of the Service while
 * it fails, so a rollout waits for it) and liveness (restarted when it stops answering, as previewd
 * supervises processes and containers).
 */
import { appHealth, type AppSpec } from "../../provisioner/manifest/manifest-schema.ts";
import type { Probe } from "./planned-object.ts";

const defaultTimeoutMs = 60_000;
const startupPeriodSeconds = 2;

export interface Probes {
  startupProbe: Probe;
  readinessProbe: Probe;
  livenessProbe: Probe;
}

/** An HTTP GET on `path` at the container's `http` port. */
export function httpProbes(path: string, timeoutMs = defaultTimeoutMs): Probes {
  return probes({ httpGet: { path, port: "http" } }, timeoutMs);
}

/** For a `command` service without `health`: ready when it accepts TCP connections. */
export function tcpProbes(timeoutMs = defaultTimeoutMs): Probes {
  return probes({ tcpSocket: { port: "http" } }, timeoutMs);
}

export function appProbes(spec: AppSpec): Probes {
  const { path, timeoutMs } = appHealth(spec);
  return httpProbes(path, timeoutMs);
}

function probes(check: Probe, timeoutMs: number): Probes {
  return {
    startupProbe: {
      ...check,
      periodSeconds: startupPeriodSeconds,
      timeoutSeconds: 2,
      failureThreshold: Math.max(1, Math.ceil(timeoutMs / 1000 / startupPeriodSeconds)),
    },
    readinessProbe: { ...check, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    livenessProbe: { ...check, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
  };
}
