/** The runtime-specific `handle` of deployed apps and services, read back from persisted JSON. */
import { frontOf, type Front } from "../fronts/app-front.ts";
import { isPort } from "../handle-fields.ts";
import type { DeployedApp, DeployedService } from "../runtime.ts";
import type { PostgresHandle } from "./postgres-service.ts";
import type { GroupToStop } from "./process-group.ts";

export interface AppHandle {
  pid: number;
  /** Equals pid: every app leads its own process group. */
  pgid: number;
  /** Where this process listens (its `PORT`); the app is reached at its front's port. */
  port: number;
  /** Its stable address (fronts/app-front.ts); none in records made before fronts. */
  front?: Front;
}

function isPid(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 1;
}

export function appHandle(app: DeployedApp | undefined): AppHandle | undefined {
  const h = app?.handle;
  if (!h || !isPid(h.pid) || !isPid(h.pgid) || !isPort(h.port)) return undefined;
  const front = frontOf(h);
  return { pid: h.pid, pgid: h.pgid, port: h.port, ...(front && { front }) };
}

/**
 * The app's own process (`http://127.0.0.1:<port>`), which its front relays to: where the preview
 * proxy sends its requests (Runtime.instanceUrl).
 */
export function instanceUrlOf(app: DeployedApp): string | undefined {
  const handle = appHandle(app);
  return handle && `http://127.0.0.1:${handle.port}`;
}

/** What every service process has, whatever its type. */
export interface ServiceProcessHandle {
  /** The server's pid; a `command` service's also leads its own process group. */
  pid: number;
  port: number;
  /** Where its data lives (Postgres' cluster, Redis' files); removed with the service. */
  dataDir?: string;
}

export function serviceHandle(service: DeployedService | undefined): ServiceProcessHandle | undefined {
  const h = service?.handle;
  if (!h || !isPid(h.pid) || !isPort(h.port)) return undefined;
  return { pid: h.pid, port: h.port, ...(typeof h.dataDir === "string" && { dataDir: h.dataDir }) };
}

/**
 * How to stop a service's processes: Postgres and Redis shut down on SIGINT to the server alone;
 * a `command` service (`sh -c …`) is stopped like an app, SIGTERM to its whole group.
 */
export function serviceStopTarget(service: DeployedService | undefined): GroupToStop | undefined {
  const handle = serviceHandle(service);
  if (!handle) return undefined;
  return { pgid: handle.pid, role: service?.type === "command" ? "command" : "service" };
}

export function postgresHandle(service: DeployedService | undefined): PostgresHandle | undefined {
  const h = service?.handle;
  const base = serviceHandle(service);
  if (!h || !base?.dataDir) return undefined;
  if (typeof h.password !== "string" || typeof h.database !== "string") return undefined;
  return {
    pid: base.pid,
    port: base.port,
    user: typeof h.user === "string" ? h.user : "postgres",
    password: h.password,
    database: h.database,
    dataDir: base.dataDir,
  };
}
