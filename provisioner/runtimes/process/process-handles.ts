/** The runtime-specific `handle` of deployed apps and services, read back from persisted JSON. */
import { isPort } from "../handle-fields.ts";
import type { DeployedApp, DeployedService } from "../runtime.ts";
import type { PostgresHandle } from "./postgres-service.ts";

export interface AppHandle {
  pid: number;
  /** Equals pid: every app leads its own process group. */
  pgid: number;
  port: number;
}

function isPid(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 1;
}

export function appHandle(app: DeployedApp | undefined): AppHandle | undefined {
  const h = app?.handle;
  if (!h || !isPid(h.pid) || !isPid(h.pgid) || !isPort(h.port)) return undefined;
  return { pid: h.pid, pgid: h.pgid, port: h.port };
}

export function serviceHandle(service: DeployedService | undefined): PostgresHandle | undefined {
  const h = service?.handle;
  if (!h || !isPid(h.pid) || !isPort(h.port)) return undefined;
  if (typeof h.password !== "string" || typeof h.database !== "string" || typeof h.dataDir !== "string")
    return undefined;
  return {
    pid: h.pid,
    port: h.port,
    user: typeof h.user === "string" ? h.user : "postgres",
    password: h.password,
    database: h.database,
    dataDir: h.dataDir,
  };
}
